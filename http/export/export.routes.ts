// A host's inventory as a download: JSON, CSV or a CycloneDX SBOM, now or as of an instant.
import { z } from '@hono/zod-openapi';
import { exportFormats } from '../../cli/export/host-export.ts';
import { problemResponse } from '../problem.ts';
import { secureRoute } from '../route.ts';
import { idParams, timestampSchema } from '../schemas.ts';

const exportJsonSchema = z
  .object({
    generatedAt: timestampSchema,
    asOf: timestampSchema,
    hosts: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        address: z.string(),
        port: z.number().int(),
        username: z.string(),
        labels: z.record(z.string(), z.string()),
        groups: z.array(z.string()),
        enabled: z.boolean(),
        createdAt: timestampSchema,
        facts: z.record(z.string(), z.unknown()).openapi({
          description: 'Fact values by kind: os, cpu, memory, dns as objects; lists otherwise',
        }),
      }),
    ),
  })
  .openapi('HostExport');

const cycloneDxSchema = z
  .object({
    bomFormat: z.literal('CycloneDX'),
    specVersion: z.string(),
    serialNumber: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    components: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('CycloneDxBom', {
    description: 'A CycloneDX 1.6 JSON BOM: the host, its OS and its packages (with purls)',
  });

export const exportHostRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/export',
  tags: ['export'],
  operationId: 'exportHost',
  summary: 'The host’s inventory as a download (JSON, CSV or CycloneDX), now or as of an instant',
  description:
    'CSV has one row per installed package, led by the host’s identity and OS (a host without ' +
    'package facts is one row). Host attributes are today’s; facts are those valid at asOf.',
  request: {
    params: idParams,
    query: z.object({
      format: z.enum(exportFormats).openapi({ description: 'csv, json or cyclonedx' }),
      asOf: timestampSchema.optional().openapi({
        description: 'ISO 8601 instant: the facts valid then (history is kept 400 days)',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The export, as an attachment (Content-Disposition)',
      content: {
        'application/json': { schema: exportJsonSchema },
        'text/csv': { schema: z.string() },
        'application/vnd.cyclonedx+json': { schema: cycloneDxSchema },
      },
    },
    400: problemResponse('Unknown format, or an invalid instant'),
    404: problemResponse('No such host'),
  },
});
