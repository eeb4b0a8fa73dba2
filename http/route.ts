// Route declaration helpers. `secureRoute(role, …)` is the only way a /v1 route is declared:
// it adds the bearer security requirement, the `x-hostintel-role` extension (which tests
// and clients read from the document), the role check itself, and the problem responses
// that auth and validation can produce.
import {
  createRoute,
  OpenAPIHono,
  type OpenAPIHonoOptions,
  type RouteConfig,
  type z,
} from '@hono/zod-openapi';
import type { Role } from '../sql/tokens.ts';
import { requireRole } from './auth.ts';
import type { AppEnv } from './env.ts';
import { validationHook } from './errors.ts';
import { problemResponse } from './problem.ts';

export const ROLE_EXTENSION = 'x-hostintel-role';
export const BEARER_SCHEME = 'bearerAuth';

/** A router whose validation failures are problem responses. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: validationHook as OpenAPIHonoOptions<AppEnv>['defaultHook'],
  });
}

const authResponses = {
  401: problemResponse('No bearer token, or an unknown or revoked one'),
  403: problemResponse('The token’s role is too low for this operation'),
  500: problemResponse('Internal error; the details are logged, never returned'),
};

type SecureRouteConfig<P extends string> = Omit<RouteConfig, 'path' | 'security' | 'middleware'> & {
  path: P;
};

export function secureRoute<P extends string, R extends SecureRouteConfig<P>>(
  role: Role,
  route: R,
) {
  const extra: Record<string, ReturnType<typeof problemResponse>> = {};
  if (route.request?.query) extra[400] = problemResponse('A query parameter is invalid');
  if (route.request?.params) extra[404] = problemResponse('No such resource');
  if (route.request?.body) {
    extra[413] = problemResponse('The body is larger than the limit');
    extra[415] = problemResponse('The body is not application/json');
    extra[422] = problemResponse('The body does not match the schema');
    extra[400] ??= problemResponse('The body is not valid JSON');
  }
  return createRoute({
    ...route,
    security: [{ [BEARER_SCHEME]: [] }],
    [ROLE_EXTENSION]: role,
    middleware: requireRole(role),
    responses: { ...extra, ...authResponses, ...route.responses } as typeof authResponses &
      R['responses'],
  });
}

/** A JSON response entry. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body (required: without it a missing body skips validation). */
export function body<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}
