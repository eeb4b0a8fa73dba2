// Stored credentials: create (admin), list (operator, to reference by id), delete (admin).
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  CredentialInUseError,
  type CredentialRow,
  createCredential,
  deleteCredential,
  listCredentials,
} from '../../sql/credentials.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorTime, decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import * as routes from './credentials.routes.ts';

const cursor = z.tuple([cursorTime, z.uuid()]);

function toApi(row: CredentialRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    hosts: row.hosts,
    createdAt: iso(row.createdAt),
  };
}

export function registerCredentialRoutes(app: OpenAPIHono<AppEnv>, { sql, secrets }: ApiDeps) {
  app.openapi(routes.createCredentialRoute, async (c) => {
    const { name, ...secret } = c.req.valid('json');
    const row = await createCredential(sql, secrets, { name: name ?? null, secret });
    c.set('auditTarget', row.id);
    return c.json(toApi(row), 201);
  });

  app.openapi(routes.listCredentialsRoute, async (c) => {
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, cursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    const rows = await listCredentials(sql, {
      limit: query.limit + 1,
      after: after && { createdAt: new Date(after[0]), id: after[1] },
    });
    return c.json(
      page(rows, query.limit, toApi, (r) => [r.createdAt.getTime(), r.id]),
      200,
    );
  });

  app.openapi(routes.deleteCredentialRoute, async (c) => {
    try {
      const deleted = await deleteCredential(sql, c.req.valid('param').id);
      return deleted
        ? c.body(null, 204)
        : problem(c, 'not-found', { detail: 'no such credential' });
    } catch (error) {
      if (error instanceof CredentialInUseError) {
        return problem(c, 'conflict', { detail: 'a host uses this credential' });
      }
      throw error;
    }
  });
}
