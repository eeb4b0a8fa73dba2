// Records every authenticated mutating request in audit_log: who (token), what (method,
// route, target id), when, and how it ended (status) — refusals included. Unauthenticated
// attempts are only in the request log: writing a row for each would let anyone fill the
// table.
import type { MiddlewareHandler } from 'hono';
import { recordAudit } from '../sql/audit.ts';
import type { Sql } from '../sql/client.ts';
import type { AppEnv } from './env.ts';
import { answeringRoute } from './request-log.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function auditTrail(sql: Sql): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const principal = c.get('principal');
    if (!principal || READS.has(c.req.method)) return;
    const route = answeringRoute(c);
    try {
      await recordAudit(sql, {
        tokenId: principal.tokenId,
        tokenName: principal.name,
        role: principal.role,
        method: c.req.method,
        route,
        path: c.req.path.slice(0, 2048),
        targetId: c.get('auditTarget') ?? targetFromPath(route, c.req.param('id')),
        status: c.res.status,
        requestId: c.get('requestId'),
      });
    } catch (error) {
      // The change is done; failing the response now would invite a retry that repeats it.
      c.get('logger').error({ err: error }, 'cannot write the audit record');
    }
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `:id` of the route when it is a well-formed id (a malformed one names nothing). */
function targetFromPath(route: string | null, id: string | undefined): string | null {
  return route?.includes(':id') && id && UUID.test(id) ? id : null;
}
