// What advisories and vulnerability matches look like over HTTP (shared by advisories/).
import { z } from '@hono/zod-openapi';
import { severities } from '../../sql/advisories.ts';
import { timestampSchema, uuidSchema } from '../schemas.ts';

export const advisoryIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f/]+$/, 'an OSV id')
  .openapi({ example: 'ALSA-2026:42694' });

export const advisoryIdParams = z.object({
  id: advisoryIdSchema.openapi({ param: { name: 'id', in: 'path' } }),
});

export const advisorySchema = z
  .object({
    id: z.string(),
    severity: z.enum(severities),
    summary: z.string().nullable(),
    aliases: z.array(z.string()).openapi({ description: 'CVE and related ids' }),
    ecosystems: z.array(z.string()),
    modified: timestampSchema,
    published: timestampSchema.nullable(),
    withdrawn: timestampSchema.nullable(),
  })
  .openapi('Advisory');

export const matchedPackageSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    arch: z.string(),
    evr: z.string(),
    source: z.object({ name: z.string(), version: z.string() }).nullable(),
    comparedVersion: z.string().openapi({
      description: 'The version compared with the ranges (source version for Debian/Ubuntu)',
    }),
    kernel: z.enum(['running', 'not-running']).nullable().openapi({
      description: 'Kernel packages: whether this is the running kernel; null otherwise',
    }),
    installedSince: timestampSchema,
  })
  .openapi('MatchedPackage');

export const exposureWindowSchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema.nullable(),
    endedBy: z.enum(['fixed', 'removed', 'release-changed']).nullable(),
    timeToRemediateMs: z.number().int().nullable(),
  })
  .openapi('ExposureWindow');

export const affectedHostSchema = z
  .object({
    hostId: uuidSchema,
    hostName: z.string(),
    ecosystem: z.string(),
    notRunningKernelOnly: z.boolean().openapi({
      description: 'Only kernels that are installed but not running are vulnerable',
    }),
    packages: z.array(matchedPackageSchema),
  })
  .openapi('AffectedHost');

export const advisoryHostsSchema = z
  .object({ advisory: advisorySchema, items: z.array(affectedHostSchema) })
  .openapi('AdvisoryHosts');

export const cveQuery = z.object({
  cve: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f]+$/)
    .openapi({ example: 'CVE-2021-3782', description: 'A CVE id (or any advisory alias)' }),
});

export const cveSchema = z
  .object({ cve: z.string(), advisories: z.array(advisoryHostsSchema) })
  .openapi('CveVulnerabilities');

export const hostVulnerabilitiesQuery = z.object({
  asOf: timestampSchema.optional().openapi({ description: 'Evaluate the facts valid then' }),
  include: z.enum(['windows']).optional().openapi({ description: 'windows: exposure windows' }),
});

export const hostVulnerabilitySchema = z
  .object({
    advisory: advisorySchema,
    ecosystem: z.string(),
    notRunningKernelOnly: z.boolean(),
    packages: z.array(matchedPackageSchema),
    windows: z.array(exposureWindowSchema).optional(),
  })
  .openapi('HostVulnerability');

export const hostVulnerabilitiesSchema = z
  .object({
    hostId: uuidSchema,
    asOf: timestampSchema.nullable(),
    supported: z.boolean(),
    reason: z.string().nullable(),
    items: z.array(hostVulnerabilitySchema),
  })
  .openapi('HostVulnerabilities');

export const fleetQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const fleetSchema = z
  .object({
    bySeverity: z.array(
      z.object({
        severity: z.enum(severities),
        advisories: z.number().int(),
        hosts: z.number().int().openapi({ description: 'Distinct hosts affected' }),
      }),
    ),
    items: z.array(
      z.object({
        advisory: advisorySchema,
        hosts: z.number().int(),
        notRunningKernelOnlyHosts: z.number().int(),
      }),
    ),
  })
  .openapi('FleetVulnerabilities');
