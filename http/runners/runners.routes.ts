// GET /v1/runners: the runner processes sharing this database, their heartbeats and leases.
import { z } from '@hono/zod-openapi';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { timestampSchema, uuidSchema } from '../schemas.ts';

export const runnerSchema = z
  .object({
    id: uuidSchema,
    name: z.string().openapi({ example: 'probe-1:4242' }),
    hostname: z.string(),
    pid: z.number().int(),
    version: z.string(),
    startedAt: timestampSchema,
    heartbeatAt: timestampSchema,
    /** When its leases run out unless renewed. */
    expiresAt: timestampSchema,
    stoppedAt: timestampSchema.nullable(),
    live: z.boolean().openapi({
      description: 'The heartbeat has not expired (false: stopped, or dead and its hosts free)',
    }),
    ageS: z.number().openapi({ description: 'Seconds since the runner started' }),
    heartbeatAgeS: z.number().openapi({ description: 'Seconds since its last heartbeat' }),
    leaseTtlS: z.number(),
    hosts: z.number().int().openapi({ description: 'Hosts whose valid lease it holds' }),
    enabledHosts: z.number().int(),
  })
  .openapi('Runner');

export const listRunnersRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/runners',
  tags: ['runners'],
  operationId: 'listRunners',
  summary: 'Runner processes, newest first: heartbeat, liveness and the hosts each holds',
  request: { query: z.object({ ...pageQuery }) },
  responses: {
    200: json(
      listSchema(runnerSchema)
        .extend({
          unownedHosts: z.number().int().openapi({
            description: 'Hosts no live runner holds right now (none, once runners caught up)',
          }),
        })
        .openapi('RunnerList'),
      'A page of runners',
    ),
    400: problemResponse('Invalid cursor'),
  },
});
