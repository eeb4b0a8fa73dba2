// GET /metrics: the service's own metrics in Prometheus text format, built by
// actors/service-metrics.ts and handed over as deps.serviceMetrics (http/ never touches the
// actors). It sits outside /v1 and the OpenAPI document, where scrapers look for it, yet needs
// a bearer token like every route but health: the counts tell how large the fleet is and how
// it fares. Prometheus sends one with `authorization: { credentials_file: … }`.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { authenticate, requireRole } from './auth.ts';
import type { AppDeps } from './deps.ts';
import type { AppEnv } from './env.ts';

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricsExposition = NonNullable<AppDeps['serviceMetrics']>;

export function registerServiceMetrics(
  app: OpenAPIHono<AppEnv>,
  deps: Pick<AppDeps, 'sql' | 'serviceMetrics'>,
): void {
  // Without the service's metrics (an app built without them, e.g. in tests), the process
  // metrics still answer; made on first scrape, so apps nobody scrapes cost nothing.
  let exposition = deps.serviceMetrics;
  app.get(METRICS_PATH, authenticate(deps.sql), requireRole('viewer'), async (c) => {
    exposition ??= processMetricsOnly();
    const text = await exposition.metrics();
    return c.body(text, 200, {
      'Content-Type': METRICS_CONTENT_TYPE,
      'Cache-Control': 'no-store',
    });
  });
}

function processMetricsOnly(): MetricsExposition {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
