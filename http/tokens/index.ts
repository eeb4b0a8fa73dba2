// API tokens over HTTP.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { createToken, listTokens, revokeToken, type TokenRow } from '../../sql/tokens.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorTime, decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import * as routes from './tokens.routes.ts';

const cursor = z.tuple([cursorTime, z.uuid()]);

export function toApiToken(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    bootstrap: row.bootstrap,
    createdAt: iso(row.createdAt),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}

export function registerTokenRoutes(app: OpenAPIHono<AppEnv>, { sql }: ApiDeps): void {
  app.openapi(routes.createTokenRoute, async (c) => {
    const { token, row } = await createToken(sql, c.req.valid('json'));
    c.set('auditTarget', row.id);
    // The one response that carries a secret: keep it out of every cache.
    return c.json({ ...toApiToken(row), token }, 201, { 'Cache-Control': 'no-store' });
  });

  app.openapi(routes.listTokensRoute, async (c) => {
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, cursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    const rows = await listTokens(sql, {
      limit: query.limit + 1,
      after: after && { createdAt: new Date(after[0]), id: after[1] },
    });
    return c.json(
      page(rows, query.limit, toApiToken, (r) => [r.createdAt.getTime(), r.id]),
      200,
    );
  });

  app.openapi(routes.revokeTokenRoute, async (c) => {
    const revoked = await revokeToken(sql, c.req.valid('param').id);
    return revoked
      ? c.body(null, 204)
      : problem(c, 'not-found', { detail: 'no such active token' });
  });
}
