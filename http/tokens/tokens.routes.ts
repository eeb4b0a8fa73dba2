// API tokens (admin): create (the token is answered once), list, revoke.
import { z } from '@hono/zod-openapi';
import { roles } from '../../sql/tokens.ts';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { body, json, secureRoute } from '../route.ts';
import { idParams, textSchema, timestampSchema, uuidSchema } from '../schemas.ts';

const tags = ['tokens'];

export const tokenSchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    role: z.enum(roles),
    bootstrap: z.boolean().openapi({ description: 'The initial admin token' }),
    createdAt: timestampSchema,
    lastUsedAt: timestampSchema.nullable(),
    revokedAt: timestampSchema.nullable(),
  })
  .openapi('Token');

export const createdTokenSchema = tokenSchema
  .extend({
    token: z.string().openapi({ description: 'The bearer token: shown now, never again' }),
  })
  .openapi('CreatedToken');

export const createTokenRoute = secureRoute('admin', {
  method: 'post',
  path: '/v1/tokens',
  tags,
  operationId: 'createToken',
  summary: 'Create an API token',
  request: {
    body: body(
      z.strictObject({ name: textSchema(100), role: z.enum(roles) }).openapi('TokenCreation'),
    ),
  },
  responses: { 201: json(createdTokenSchema, 'The token, with its secret shown once') },
});

export const listTokensRoute = secureRoute('admin', {
  method: 'get',
  path: '/v1/tokens',
  tags,
  operationId: 'listTokens',
  summary: 'API tokens (never their secrets)',
  request: { query: z.object(pageQuery) },
  responses: {
    200: json(listSchema(tokenSchema), 'A page of tokens'),
    400: problemResponse('Invalid cursor'),
  },
});

export const revokeTokenRoute = secureRoute('admin', {
  method: 'delete',
  path: '/v1/tokens/{id}',
  tags,
  operationId: 'revokeToken',
  summary: 'Revoke a token',
  request: { params: idParams },
  responses: {
    204: { description: 'Revoked' },
    404: problemResponse('No such token, or revoked already'),
  },
});
