// The console's login: the API token, verified exactly as the bearer middleware does
// (findActiveToken: hashed lookup, revocation, last-use), kept in an HttpOnly,
// SameSite=Strict cookie scoped to /console and never written into a page. Forms that change
// something carry a CSRF token derived from the session token by HMAC: it proves the form
// came from a page of this session, and reveals nothing about the token.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Sql } from '../../sql/client.ts';
import { findActiveToken } from '../../sql/tokens.ts';
import type { Principal } from '../env.ts';
import type { ConsoleEnv } from './console-env.ts';
import { loginPath } from './paths.ts';

export const SESSION_COOKIE = 'hostintel_console';
export const SESSION_MAX_AGE_S = 12 * 3600;
const COOKIE_PATH = '/console';

// The token shape http/auth.ts accepts in an Authorization header.
const TOKEN = /^[\x21-\x7e]{16,1024}$/;

export interface Session {
  principal: Principal;
  /** The value every POST form of this session must send back as `csrf`. */
  csrf: string;
}

export function csrfFor(token: string): string {
  return createHmac('sha256', token).update('hostintel console csrf v1').digest('base64url');
}

export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The session of a token, or null when it is malformed, unknown or revoked. */
export async function sessionFor(sql: Sql, token: string | undefined): Promise<Session | null> {
  if (!token || !TOKEN.test(token)) return null;
  const row = await findActiveToken(sql, token);
  if (!row) return null;
  return {
    principal: { tokenId: row.id, name: row.name, role: row.role },
    csrf: csrfFor(token),
  };
}

/** https as the browser sees it: directly, or through a TLS-terminating proxy. */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'https' || new URL(c.req.url).protocol === 'https:';
}

export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    maxAge: SESSION_MAX_AGE_S,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
  });
}

/**
 * Pages behind the login: no valid cookie sends a page request to the login form (with
 * where to come back), a form post to the login form, and the event stream a 401 (an
 * EventSource cannot follow a login).
 */
export function requireSession(sql: Sql): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const session = await sessionFor(sql, token);
    if (!session) {
      if (token !== undefined) clearSessionCookie(c);
      if (c.req.path === '/console/stream') return c.text('log in first', 401);
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? `${url.pathname}${url.search}` : undefined;
      return c.redirect(loginPath(back), c.req.method === 'GET' ? 302 : 303);
    }
    c.set('session', session);
    c.set('principal', session.principal);
    c.get('logger').setBindings({ tokenId: session.principal.tokenId });
    await next();
  };
}
