// The change feed feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createChangeHandlers } from './changes.handlers.ts';
import * as routes from './changes.routes.ts';

export function registerChangeRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createChangeHandlers(deps);
  app.openapi(routes.hostChangesRoute, h.host);
  app.openapi(routes.fleetChangesRoute, h.fleet);
}
