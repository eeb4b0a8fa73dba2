// The fleet questions feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createFleetHandlers } from './fleet.handlers.ts';
import * as routes from './fleet.routes.ts';

export function registerFleetRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createFleetHandlers(deps);
  app.openapi(routes.packageHostsRoute, h.packageHostList);
  app.openapi(routes.packageVersionsRoute, h.packageVersions);
  app.openapi(routes.fleetSummaryRoute, h.summary);
  app.openapi(routes.serviceHostsRoute, h.services);
  app.openapi(routes.portHostsRoute, h.ports);
  app.openapi(routes.userHostsRoute, h.users);
}
