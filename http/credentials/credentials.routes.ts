// Stored credentials: write-only secrets, referenced by hosts as { id }.
import { z } from '@hono/zod-openapi';
import { credentialTypes } from '../../sql/credentials.ts';
import { credentialVariants } from '../credential-schemas.ts';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { body, json, secureRoute } from '../route.ts';
import { idParams, textSchema, timestampSchema, uuidSchema } from '../schemas.ts';

const tags = ['credentials'];

export const credentialSchema = z
  .object({
    id: uuidSchema,
    name: z.string().nullable(),
    type: z.enum(credentialTypes),
    hosts: z.number().int().openapi({ description: 'Hosts using it' }),
    createdAt: timestampSchema,
  })
  .openapi('Credential');

export const newCredentialSchema = credentialVariants({
  name: textSchema(100).optional(),
}).openapi('CredentialCreation');

export const createCredentialRoute = secureRoute('admin', {
  method: 'post',
  path: '/v1/credentials',
  tags,
  operationId: 'createCredential',
  summary: 'Store a credential (its secrets are write-only)',
  request: { body: body(newCredentialSchema) },
  responses: { 201: json(credentialSchema, 'The stored credential, without its secrets') },
});

export const listCredentialsRoute = secureRoute('operator', {
  method: 'get',
  path: '/v1/credentials',
  tags,
  operationId: 'listCredentials',
  summary: 'Stored credentials (ids, names and types only)',
  request: { query: z.object(pageQuery) },
  responses: {
    200: json(listSchema(credentialSchema), 'A page of credentials'),
    400: problemResponse('Invalid cursor'),
  },
});

export const deleteCredentialRoute = secureRoute('admin', {
  method: 'delete',
  path: '/v1/credentials/{id}',
  tags,
  operationId: 'deleteCredential',
  summary: 'Delete a stored credential no host uses',
  request: { params: idParams },
  responses: {
    204: { description: 'Deleted' },
    404: problemResponse('No such credential'),
    409: problemResponse('A host uses it'),
  },
});
