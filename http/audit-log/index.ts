// GET /v1/audit (admin): the audit log, newest first.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { listAudit } from '../../sql/audit.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, listSchema, page, pageQuery } from '../pagination.ts';
import { problem, problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { iso, timestampSchema, uuidSchema } from '../schemas.ts';

const entrySchema = z
  .object({
    id: z.number().int(),
    at: timestampSchema,
    tokenId: z.string().nullable(),
    tokenName: z.string().nullable(),
    role: z.string().nullable(),
    method: z.string(),
    route: z.string().nullable().openapi({ example: '/v1/hosts/:id' }),
    path: z.string(),
    targetId: z.string().nullable(),
    status: z.number().int(),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEntry');

export const listAuditRoute = secureRoute('admin', {
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  operationId: 'listAudit',
  summary: 'Every authenticated mutating request: who, what, when, outcome (newest first)',
  request: {
    query: z.object({
      tokenId: uuidSchema.optional(),
      targetId: uuidSchema.optional(),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(listSchema(entrySchema), 'A page of audit entries'),
    400: problemResponse('Invalid filter or cursor'),
  },
});

const cursor = z.tuple([z.number().int().positive().max(Number.MAX_SAFE_INTEGER)]);

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, { sql }: ApiDeps): void {
  app.openapi(listAuditRoute, async (c) => {
    const query = c.req.valid('query');
    const before = query.cursor ? decodeCursor(query.cursor, cursor) : undefined;
    if (before === null) return problem(c, 'invalid-cursor');
    const rows = await listAudit(sql, {
      limit: query.limit + 1,
      before: before?.[0],
      tokenId: query.tokenId,
      targetId: query.targetId,
    });
    return c.json(
      page(
        rows,
        query.limit,
        (r) => ({ ...r, at: iso(r.at) }),
        (r) => [r.id],
      ),
      200,
    );
  });
}
