// The advisories feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createAdvisoryHandlers } from './advisories.handlers.ts';
import * as routes from './advisories.routes.ts';

export function registerAdvisoryRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createAdvisoryHandlers(deps);
  app.openapi(routes.importAdvisoriesRoute, h.importRecords);
  app.openapi(routes.advisoryHostsRoute, h.hosts);
}
