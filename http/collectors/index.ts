// GET /v1/collectors: the privacy allowlist, every collector and the exact commands it may run.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { allowlist } from '../../collectors/registry.ts';
import type { AppEnv } from '../env.ts';
import { json, secureRoute } from '../route.ts';

const entrySchema = z
  .object({
    collector: z.string(),
    description: z.string(),
    kinds: z.array(z.string()),
    commands: z.array(
      z.object({
        id: z.string(),
        command: z.string().openapi({ description: 'Run verbatim under LC_ALL=C' }),
        root: z.enum(['required', 'preferred']).nullable(),
        why: z.string(),
      }),
    ),
  })
  .openapi('Collector');

export const listCollectorsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/collectors',
  tags: ['collectors'],
  operationId: 'listCollectors',
  summary: 'The allowlist: nothing else ever runs on a host',
  responses: {
    200: json(
      z.object({ items: z.array(entrySchema), nextCursor: z.null() }),
      'Every collector, in probe order (one page)',
    ),
  },
});

export function registerCollectorRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listCollectorsRoute, (c) => {
    const items = allowlist().map((entry) => ({ ...entry, kinds: [...entry.kinds] }));
    return c.json({ items, nextCursor: null }, 200);
  });
}
