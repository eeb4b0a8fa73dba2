// Metrics handler over sql/metrics-range.ts; its RangeErrors are the caller's range or step.
import type { RouteHandler } from '@hono/zod-openapi';
import { getHost } from '../../sql/hosts.ts';
import { metricsRange } from '../../sql/metrics-range.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import type { metricsRoute } from './metrics.routes.ts';

const DAY_S = 86_400;

/** A step that keeps the answer small and lets long ranges use the hourly rollups. */
export function defaultStep(rangeS: number): number {
  if (rangeS <= 2 * DAY_S) return 60;
  if (rangeS <= 366 * DAY_S) return 3600;
  return DAY_S;
}

export function createMetricHandlers({ sql }: ApiDeps) {
  const get: RouteHandler<typeof metricsRoute, AppEnv> = async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_S * 1000);
    const stepSeconds = query.step ?? defaultStep((to.getTime() - from.getTime()) / 1000);
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    try {
      const range = await metricsRange(sql, id, { series: query.series, from, to, stepSeconds });
      return c.json(
        {
          hostId: id,
          series: range.series,
          from: from.toISOString(),
          to: to.toISOString(),
          stepSeconds: range.stepSeconds,
          source: range.source,
          points: range.points.map((p) => ({
            time: p.time.toISOString(),
            label: p.label,
            samples: p.samples,
            avg: p.avg as Record<string, number | null>,
            max: p.max as Record<string, number | null>,
          })),
        },
        200,
      );
    } catch (error) {
      if (error instanceof RangeError) {
        return problem(c, 'invalid-parameter', { detail: error.message });
      }
      throw error;
    }
  };
  return { get };
}
