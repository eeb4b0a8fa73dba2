// Bearer-token authentication for everything under /v1, and the per-route role check.
// Every /v1 route is declared with `secureRoute(role, …)`, which puts requireRole(role) on the
// route and `x-hostintel-role` in the OpenAPI document: the check and the documentation
// come from the same declaration.
import type { MiddlewareHandler } from 'hono';
import type { Sql } from '../sql/client.ts';
import { findActiveToken, type Role, roleAllows } from '../sql/tokens.ts';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';

// Any visible ASCII, bounded: HOSTINTEL_ADMIN_TOKEN may be any string of 16+ characters.
const BEARER = /^Bearer +([\x21-\x7e]{16,1024}) *$/i;

export function authenticate(sql: Sql): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) {
      return problem(c, 'unauthorized', {
        detail: 'send Authorization: Bearer <token>',
        headers: { 'WWW-Authenticate': 'Bearer realm="hostintel"' },
      });
    }
    const row = await findActiveToken(sql, token);
    if (!row) {
      return problem(c, 'unauthorized', {
        detail: 'the token is unknown or revoked',
        headers: { 'WWW-Authenticate': 'Bearer realm="hostintel", error="invalid_token"' },
      });
    }
    c.set('principal', { tokenId: row.id, name: row.name, role: row.role });
    c.get('logger').setBindings({ tokenId: row.id });
    await next();
  };
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal) {
      return problem(c, 'unauthorized', {
        detail: 'send Authorization: Bearer <token>',
        headers: { 'WWW-Authenticate': 'Bearer realm="hostintel"' },
      });
    }
    if (!roleAllows(principal.role, role)) {
      return problem(c, 'forbidden', { detail: `this needs the ${role} role` });
    }
    await next();
  };
}
