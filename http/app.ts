// The HTTP application, built from injected dependencies so tests drive it with app.request().
import { OpenAPIHono } from '@hono/zod-openapi';
import { type ReadinessCheck, registerHealth } from './health.ts';

export interface AppDeps {
  readiness: ReadinessCheck;
}

export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  registerHealth(app, deps.readiness);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'hostintel', version: '0.1.0' },
  });
  return app;
}
