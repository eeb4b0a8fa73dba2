// The vulnerabilities feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createVulnerabilityHandlers } from './vulnerabilities.handlers.ts';
import * as routes from './vulnerabilities.routes.ts';

export function registerVulnerabilityRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createVulnerabilityHandlers(deps);
  app.openapi(routes.cveRoute, h.byCve);
  app.openapi(routes.hostVulnerabilitiesRoute, h.forHost);
  app.openapi(routes.fleetRoute, h.fleet);
}
