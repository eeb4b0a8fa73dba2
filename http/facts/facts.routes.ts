// A host's facts: current, or as they were at any instant.
import { z } from '@hono/zod-openapi';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams, textSchema, timestampSchema, uuidSchema } from '../schemas.ts';

export const factKindSchema = textSchema(63)
  .regex(/^[a-z][a-z0-9_]*$/, 'a fact kind (lowercase letters, digits, _)')
  .openapi({ example: 'package' });

export const factSchema = z
  .object({
    hostId: uuidSchema,
    kind: z.string(),
    key: z.string(),
    value: z.unknown(),
    validFrom: timestampSchema,
    validTo: timestampSchema.nullable().openapi({ description: 'null while current' }),
    probeId: z.string().openapi({ description: 'The probe that first saw this version' }),
  })
  .openapi('Fact');

export const listFactsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/facts',
  tags: ['facts'],
  operationId: 'listHostFacts',
  summary: 'The host’s facts now, or as of an instant (by kind and key)',
  request: {
    params: idParams,
    query: z.object({
      kind: factKindSchema.optional(),
      asOf: timestampSchema.optional().openapi({
        description: 'ISO 8601 instant: the facts valid then (history is kept 400 days)',
      }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(listSchema(factSchema), 'A page of facts'),
    400: problemResponse('Invalid kind, instant or cursor'),
    404: problemResponse('No such host'),
  },
});
