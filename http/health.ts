// Liveness and readiness: the only routes that need no token.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';

export interface Readiness {
  ready: boolean;
  database: { reachable: boolean; pendingMigrations: number | null; serverVersion: string | null };
  timescaledb: string | null;
  error?: string;
}

export type ReadinessCheck = () => Promise<Readiness>;

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The process is up',
  responses: {
    200: {
      description: 'Up',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

const readinessSchema = z.object({
  ready: z.boolean(),
  database: z.object({
    reachable: z.boolean(),
    pendingMigrations: z.number().int().nullable(),
    serverVersion: z.string().nullable(),
  }),
  timescaledb: z.string().nullable().openapi({ description: 'Extension version, null if absent' }),
  error: z.string().optional(),
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'The database is reachable and migrated',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: readinessSchema } } },
  },
});

export function registerHealth<E extends Env>(
  app: OpenAPIHono<E>,
  readiness: ReadinessCheck,
): void {
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const r = await readiness();
    return r.ready ? c.json(r, 200) : c.json(r, 503);
  });
}
