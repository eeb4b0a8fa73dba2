// Fleet questions: which hosts have a package (by version), a service, a listening port or a
// user; the version spread of a package; the fleet summary. Each filterable by label/group.
import { z } from '@hono/zod-openapi';
import { packageManagers } from '../../collectors/packages.ts';
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { textSchema, timestampSchema, uuidSchema } from '../schemas.ts';
import { hostFilterQuery } from './host-filter.ts';
import { versionOps } from './version-filter.ts';

const tags = ['fleet'];

const pathName = (pattern: RegExp, message: string, example: string) =>
  z.object({
    name: z
      .string()
      .max(255)
      .regex(pattern, message)
      .openapi({ param: { name: 'name', in: 'path' }, example }),
  });

const packageNameParams = pathName(/^[A-Za-z0-9_][A-Za-z0-9+._@~-]*$/, 'a package name', 'openssl');
const serviceNameParams = pathName(
  /^[A-Za-z0-9_][A-Za-z0-9:_.@\\-]*$/,
  'a service (unit) name',
  'ssh.service',
);
const userNameParams = pathName(/^[A-Za-z0-9_.][A-Za-z0-9_.@$-]*$/, 'a user name', 'root');

const hostRow = { hostId: uuidSchema, hostName: z.string() };

const packageHostSchema = z
  .object({
    ...hostRow,
    name: z.string().openapi({ description: 'The binary package' }),
    version: z.string().openapi({ description: 'The full version (evr) as its manager reads it' }),
    arch: z.string(),
    source: z.object({ name: z.string(), version: z.string() }).nullable(),
    manager: z.enum(packageManagers),
    since: timestampSchema,
  })
  .openapi('PackageHost');

const versionQuery = Object.fromEntries(
  versionOps.map((op) => [op, textSchema(256).optional()]),
) as Record<(typeof versionOps)[number], z.ZodOptional<ReturnType<typeof textSchema>>>;

export const packageHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/packages/{name}/hosts',
  tags,
  operationId: 'listPackageHosts',
  summary: 'Hosts with the package (binary or source name), by each host’s version scheme',
  description:
    'Version filters combine (e.g. versionGe and versionLt for a range) and compare with ' +
    'the row’s manager: dpkg → deb, rpm → rpm, apk → apk. pacman rows are left out of ' +
    'version-filtered answers, with a note.',
  request: {
    params: packageNameParams,
    query: hostFilterQuery.extend({ ...versionQuery, ...pageQuery }),
  },
  responses: {
    200: json(
      listSchema(packageHostSchema).extend({
        notes: z.array(z.string()).openapi({ description: 'Rows left out, and why' }),
      }),
      'A page of hosts and their versions',
    ),
    400: problemResponse('Invalid filter version (names the scheme), filter or cursor'),
  },
});

const versionSpreadSchema = z
  .object({
    manager: z.enum(packageManagers),
    version: z.string(),
    hosts: z.number().int(),
    names: z.array(z.string()).openapi({ description: 'Binary packages at this version' }),
  })
  .openapi('PackageVersionCount');

export const packageVersionsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/fleet/packages/{name}/versions',
  tags,
  operationId: 'listPackageVersions',
  summary: 'The versions of a package across the fleet, newest first, with host counts',
  request: { params: packageNameParams, query: hostFilterQuery },
  responses: {
    200: json(listSchema(versionSpreadSchema), 'Versions per manager'),
  },
});

const counted = <T extends z.ZodRawShape>(shape: T) =>
  z.array(z.object({ ...shape, hosts: z.number().int() }));

const fleetSummarySchema = z
  .object({
    hosts: z.number().int(),
    os: counted({ id: z.string().nullable(), versionId: z.string().nullable() }),
    kernels: counted({ kernelRelease: z.string().nullable() }),
    reachability: z.object({
      ok: z.number().int(),
      stale: z.number().int(),
      unreachable: z.number().int(),
      neverProbed: z.number().int(),
    }),
    collectors: z.array(
      z.object({
        name: z.string(),
        ok: z.number().int().openapi({ description: 'Hosts whose last facts probe had it ok' }),
        hosts: z.number().int().openapi({ description: 'Hosts whose last facts probe ran it' }),
      }),
    ),
    rebootRequired: z.number().int(),
  })
  .openapi('FleetSummary');

export const fleetSummaryRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/fleet/summary',
  tags,
  operationId: 'fleetSummary',
  summary: 'Hosts by OS, kernel, reachability and collector coverage; reboots pending',
  description:
    'Reachability: ok = the last probe was ok/partial within twice the facts interval; ' +
    'unreachable = the last 5 probes failed or timed out; never probed; else stale.',
  request: { query: hostFilterQuery },
  responses: { 200: json(fleetSummarySchema, 'The summary') },
});

const factHostSchema = (name: string, value: z.ZodType) =>
  z.object({ ...hostRow, key: z.string(), value, since: timestampSchema }).openapi(name);

export const serviceHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/services/{name}/hosts',
  tags,
  operationId: 'listServiceHosts',
  summary: 'Hosts with the service (`ssh` also matches `ssh.service`)',
  request: {
    params: serviceNameParams,
    query: hostFilterQuery.extend({
      active: textSchema(32).optional().openapi({ example: 'active' }),
      enabled: textSchema(32).optional().openapi({ example: 'enabled' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(listSchema(factHostSchema('ServiceHost', z.unknown())), 'A page of hosts'),
    400: problemResponse('Invalid filter or cursor'),
  },
});

export const portHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/ports/{port}/hosts',
  tags,
  operationId: 'listPortHosts',
  summary: 'Hosts listening on the port',
  request: {
    params: z.object({
      port: z
        .string()
        .regex(/^\d{1,5}$/, 'a port number')
        .refine((port) => Number(port) <= 65535, 'at most 65535')
        .openapi({ param: { name: 'port', in: 'path' }, example: '22' }),
    }),
    query: hostFilterQuery.extend({ protocol: z.enum(['tcp', 'udp']).optional(), ...pageQuery }),
  },
  responses: {
    200: json(listSchema(factHostSchema('PortHost', z.unknown())), 'A page of listeners'),
    400: problemResponse('Invalid filter or cursor'),
  },
});

export const userHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/users/{name}/hosts',
  tags,
  operationId: 'listUserHosts',
  summary: 'Hosts with the user account',
  request: { params: userNameParams, query: hostFilterQuery.extend(pageQuery) },
  responses: {
    200: json(listSchema(factHostSchema('UserHost', z.unknown())), 'A page of hosts'),
    400: problemResponse('Invalid filter or cursor'),
  },
});
