// The probe log of a host, newest first.
import { z } from '@hono/zod-openapi';
import { collectorStatuses } from '../../collectors/types.ts';
import { probeStatuses } from '../../sql/probes.ts';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams, timestampSchema, uuidSchema } from '../schemas.ts';

const probeTypes = ['facts', 'metrics'] as const;

export const probeSchema = z
  .object({
    id: z.string(),
    hostId: uuidSchema,
    type: z.enum(probeTypes),
    reason: z.enum(['scheduled', 'manual']).nullable(),
    status: z.enum(probeStatuses),
    startedAt: timestampSchema,
    finishedAt: timestampSchema.nullable(),
    durationMs: z.number().int().nullable(),
    collectors: z.record(
      z.string(),
      z.object({
        status: z.enum(collectorStatuses),
        durationMs: z.number(),
        error: z.string().optional(),
        facts: z.number().int().optional(),
        duplicates: z.number().int().optional(),
        stale: z.boolean().optional(),
      }),
    ),
    bytes: z.number().int().nullable(),
    error: z.string().nullable(),
    errorCode: z.string().nullable(),
    factChanges: z.number().int().nullable(),
  })
  .openapi('Probe');

export const listProbesRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/probes',
  tags: ['probes'],
  operationId: 'listHostProbes',
  summary: 'The host’s probe log, newest first, with per-collector outcomes',
  request: {
    params: idParams,
    query: z.object({
      status: z.enum(probeStatuses).optional(),
      type: z.enum(probeTypes).optional(),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(listSchema(probeSchema), 'A page of probes'),
    400: problemResponse('Invalid filter or cursor'),
    404: problemResponse('No such host'),
  },
});
