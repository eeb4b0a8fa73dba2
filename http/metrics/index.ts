// The metrics feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createMetricHandlers } from './metrics.handlers.ts';
import * as routes from './metrics.routes.ts';

export function registerMetricRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createMetricHandlers(deps);
  app.openapi(routes.metricsRoute, h.get);
}
