// How failures become problem responses: zod validation (the routes' default hook), thrown
// HTTP exceptions, database errors that slipped past validation, and everything else.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { AppEnv } from './env.ts';
import { type ProblemKind, problem, type ValidationIssue } from './problem.ts';

type Target = 'json' | 'form' | 'query' | 'param' | 'header' | 'cookie';

const locations = {
  json: 'body',
  form: 'form',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
} as const satisfies Record<Target, ValidationIssue['location']>;

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
}

/** zod issues as problem `errors`. Messages name what was expected, never the input. */
export function toIssues(target: Target, issues: readonly ZodIssueLike[]): ValidationIssue[] {
  return issues.slice(0, 50).map((issue) => ({
    location: locations[target],
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
}

/**
 * The default hook of every route: a body that fails its schema is 422 with the issues; a
 * path parameter that fails (a malformed id) names nothing, so 404; a bad query is 400.
 */
export function validationHook(
  result: { target: string; success: boolean; error?: { issues: readonly ZodIssueLike[] } },
  c: Context<AppEnv>,
) {
  if (result.success) return undefined;
  const target = (result.target in locations ? result.target : 'query') as Target;
  const errors = toIssues(target, result.error?.issues ?? []);
  if (target === 'param') return problem(c, 'not-found', { detail: 'no such resource' });
  if (target === 'json' || target === 'form') {
    return problem(c, 'validation-failed', { detail: 'see errors', errors });
  }
  return problem(c, 'invalid-parameter', { detail: 'see errors', errors });
}

const httpKinds: Record<number, ProblemKind> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation-failed',
};

/**
 * Database errors that mean "your input" rather than "our bug": validation should have
 * caught them, but if one slips through the client still gets a 4xx, without the server's
 * message (it may quote the input).
 */
function databaseKind(error: unknown): ProblemKind | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
  if (code === '23505' || code === '23503') return 'conflict';
  if (code.startsWith('23')) return 'validation-failed';
  if (code.startsWith('22')) return 'bad-request';
  return null;
}

export function createErrorHandler(fallback: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const log = c.get('logger') ?? fallback;
    if (error instanceof HTTPException) {
      const kind = httpKinds[error.status] ?? 'bad-request';
      return problem(c, kind, error.status < 500 ? { detail: error.message } : {});
    }
    const kind = databaseKind(error);
    if (kind) {
      log.warn({ err: error }, 'database rejected a request that passed validation');
      return problem(c, kind, { detail: 'a value was rejected by the database' });
    }
    log.error({ err: error }, 'unhandled error');
    return problem(c, 'internal');
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problem(c, 'not-found', { detail: 'no route matches this method and path' });
