// The change feed, per host and fleet-wide, newest first with keyset cursors.
import { z } from '@hono/zod-openapi';
import { changeTypes } from '../../sql/changes.ts';
import { factKindSchema } from '../facts/facts.routes.ts';
import { hostFilterQuery } from '../fleet/host-filter.ts';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams, timestampSchema, uuidSchema } from '../schemas.ts';

const tags = ['changes'];

const changeSchema = z
  .object({
    id: z.string(),
    hostId: uuidSchema,
    kind: z.string(),
    key: z.string().nullable().openapi({ description: 'null for a baseline entry' }),
    change: z.enum(changeTypes),
    at: timestampSchema,
    before: z.unknown(),
    after: z.unknown(),
    probeId: z.string(),
  })
  .openapi('Change');

const changeQuery = z.object({
  since: timestampSchema.optional().openapi({ description: 'Inclusive' }),
  until: timestampSchema.optional().openapi({ description: 'Exclusive' }),
  kind: factKindSchema.optional(),
  change: z.enum(changeTypes).optional(),
  ...pageQuery,
});

const responses = {
  200: json(listSchema(changeSchema), 'A page of changes, newest first'),
  400: problemResponse('Invalid filter, range or cursor'),
};

export const hostChangesRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/changes',
  tags,
  operationId: 'listHostChanges',
  summary: 'What changed on the host',
  request: { params: idParams, query: changeQuery },
  responses: { ...responses, 404: problemResponse('No such host') },
});

export const fleetChangesRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/changes',
  tags,
  operationId: 'listChanges',
  summary: 'What changed across the fleet (filterable by host label and group)',
  request: { query: changeQuery.extend(hostFilterQuery.shape) },
  responses,
});
