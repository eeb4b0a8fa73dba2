// One log line per request: request id, method, route pattern, status, duration, token id.
// Never the Authorization header, never a body, never the query string (it may hold
// filter values nobody asked to have logged).
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from './env.ts';

// A client's request id is kept only when it is short and harmless.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The pattern of the route that answered ("/v1/hosts/:id"), or null when none matched. */
export function answeringRoute(c: Context): string | null {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return routes.at(-1)?.path ?? null;
}

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const requestId = given && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('logger', log);
    c.header('X-Request-Id', requestId);
    await next();
    const status = c.res.status;
    const line = {
      method: c.req.method,
      route: answeringRoute(c),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
  };
}
