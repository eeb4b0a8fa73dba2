// RFC 9457 problem details: every error the API answers is one of these kinds, each with a
// stable `type` URI that clients may switch on. The detail never carries a stack trace,
// a database message or any part of a secret.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './env.ts';

export const PROBLEM_BASE = 'https://hostintel.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemKinds = {
  'bad-request': { status: 400, title: 'Bad request' },
  'invalid-parameter': { status: 400, title: 'Invalid query or header parameter' },
  'invalid-cursor': { status: 400, title: 'Invalid pagination cursor' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Insufficient role' },
  'not-found': { status: 404, title: 'Not found' },
  'no-actor': { status: 404, title: 'No probe actor runs for this host' },
  conflict: { status: 409, title: 'Conflict' },
  'probe-in-flight': { status: 409, title: 'A probe of this host is in flight' },
  'host-paused': { status: 409, title: 'The host is paused or disabled' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'The request body is invalid' },
  'probe-debounced': { status: 429, title: 'A probe was requested moments ago' },
  internal: { status: 500, title: 'Internal server error' },
} as const;

export type ProblemKind = keyof typeof problemKinds;
export type ProblemStatus<K extends ProblemKind> = (typeof problemKinds)[K]['status'];

const issueSchema = z
  .object({
    location: z.enum(['body', 'query', 'path', 'header', 'cookie', 'form']),
    path: z.string().openapi({ example: 'credential.privateKey' }),
    code: z.string(),
    message: z.string(),
  })
  .openapi('ValidationIssue');

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: `${PROBLEM_BASE}not-found` }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().openapi({ description: 'The request path' }),
    requestId: z.string().optional(),
    errors: z.array(issueSchema).optional(),
    retryAfterMs: z.number().int().optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;
export type ValidationIssue = z.infer<typeof issueSchema>;

export interface ProblemOptions {
  detail?: string;
  errors?: ValidationIssue[];
  retryAfterMs?: number;
  headers?: Record<string, string>;
}

export function problemBody(
  kind: ProblemKind,
  instance: string,
  options: Pick<ProblemOptions, 'detail' | 'errors' | 'retryAfterMs'> & { requestId?: string } = {},
): Problem {
  const { status, title } = problemKinds[kind];
  return { type: `${PROBLEM_BASE}${kind}`, title, status, instance, ...options };
}

/** Answers the request with a problem of this kind. */
export function problem<K extends ProblemKind>(
  c: Context<AppEnv>,
  kind: K,
  options: ProblemOptions = {},
) {
  const { headers, ...rest } = options;
  const body = problemBody(kind, c.req.path, { ...rest, requestId: c.get('requestId') });
  return c.json(body, problemKinds[kind].status as ProblemStatus<K>, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
  });
}

/** An OpenAPI response entry for a problem. */
export function problemResponse(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}
