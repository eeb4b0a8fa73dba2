// Advisories: OSV import over HTTP and the hosts an advisory affects.
import { z } from '@hono/zod-openapi';
import { problemResponse } from '../problem.ts';
import { body, json, secureRoute } from '../route.ts';
import {
  advisoryHostsSchema,
  advisoryIdParams,
} from '../vulnerabilities/vulnerabilities.schemas.ts';

const tags = ['advisories'];

// Records are validated one by one by vuln/osv.ts so that a malformed one is reported by id
// and the rest import; the body schema only says "a record or an array of them".
const osvBodySchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown()).max(10_000)])
  .openapi('OsvRecords', { description: 'One OSV record or an array of OSV records' });

const importResultSchema = z
  .object({
    imported: z.number().int(),
    updated: z.number().int(),
    skipped: z
      .number()
      .int()
      .openapi({ description: 'Already stored with this or a newer modified' }),
    errors: z.array(z.object({ id: z.string().nullable(), error: z.string() })),
  })
  .openapi('AdvisoryImportResult');

export const importAdvisoriesRoute = secureRoute('operator', {
  method: 'post',
  path: '/v1/advisories',
  tags,
  operationId: 'importAdvisories',
  summary: 'Import OSV records (upserted by id when modified is newer)',
  request: { body: body(osvBodySchema) },
  responses: { 200: json(importResultSchema, 'What was imported; malformed records by id') },
});

export const advisoryHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/advisories/{id}/hosts',
  tags,
  operationId: 'advisoryHosts',
  summary: 'The hosts an advisory affects now',
  request: { params: advisoryIdParams },
  responses: {
    200: json(advisoryHostsSchema, 'The advisory and its affected hosts'),
    404: problemResponse('No such advisory'),
  },
});
