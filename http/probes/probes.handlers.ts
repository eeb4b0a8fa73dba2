// Probe log handler over sql/probes.ts.
import type { RouteHandler } from '@hono/zod-openapi';
import { InvalidCursorError } from '../../sql/cursor.ts';
import { getHost } from '../../sql/hosts.ts';
import { type ProbeRow, probes } from '../../sql/probes.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type { listProbesRoute } from './probes.routes.ts';

const toItem = (p: ProbeRow) => ({
  ...p,
  startedAt: iso(p.startedAt),
  finishedAt: iso(p.finishedAt),
});

export function createProbeHandlers({ sql }: ApiDeps) {
  const list: RouteHandler<typeof listProbesRoute, AppEnv> = async (c) => {
    const { id } = c.req.valid('param');
    const { cursor, limit, status, type } = c.req.valid('query');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    try {
      const result = await probes(sql, id, {
        cursor: cursor ?? null,
        limit,
        ...(status ? { status } : {}),
        ...(type ? { type } : {}),
      });
      return c.json({ items: result.items.map(toItem), nextCursor: result.nextCursor }, 200);
    } catch (error) {
      if (error instanceof InvalidCursorError) return problem(c, 'invalid-cursor');
      throw error;
    }
  };
  return { list };
}
