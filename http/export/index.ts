// The export feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createExportHandlers } from './export.handlers.ts';
import * as routes from './export.routes.ts';

export function registerExportRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createExportHandlers(deps);
  app.openapi(routes.exportHostRoute, h.exportHost);
}
