// The hosts feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createHostHandlers } from './hosts.handlers.ts';
import * as routes from './hosts.routes.ts';

export function registerHostRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createHostHandlers(deps);
  app.openapi(routes.createHostRoute, h.create);
  app.openapi(routes.listHostsRoute, h.list);
  app.openapi(routes.getHostRoute, h.get);
  app.openapi(routes.patchHostRoute, h.patch);
  app.openapi(routes.deleteHostRoute, h.remove);
  app.openapi(routes.getHostKeyRoute, h.getKey);
  app.openapi(routes.putHostKeyRoute, h.putKey);
  app.openapi(routes.deleteHostKeyRoute, h.deleteKey);
}
