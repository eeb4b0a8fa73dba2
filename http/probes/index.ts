// The probe log feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createProbeHandlers } from './probes.handlers.ts';
import * as routes from './probes.routes.ts';

export function registerProbeRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createProbeHandlers(deps);
  app.openapi(routes.listProbesRoute, h.list);
}
