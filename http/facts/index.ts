// The facts feature: routes bound to their handlers.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { createFactHandlers } from './facts.handlers.ts';
import * as routes from './facts.routes.ts';

export function registerFactRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps): void {
  const h = createFactHandlers(deps);
  app.openapi(routes.listFactsRoute, h.list);
}
