// Vulnerabilities: by CVE, per host (now, as of an instant, with exposure windows), fleet-wide.
import { problemResponse } from '../problem.ts';
import { json, secureRoute } from '../route.ts';
import { idParams } from '../schemas.ts';
import {
  cveQuery,
  cveSchema,
  fleetQuery,
  fleetSchema,
  hostVulnerabilitiesQuery,
  hostVulnerabilitiesSchema,
} from './vulnerabilities.schemas.ts';

const tags = ['vulnerabilities'];

export const cveRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/vulnerabilities',
  tags,
  operationId: 'vulnerabilitiesByCve',
  summary: 'The advisories known by a CVE id and the hosts each affects',
  request: { query: cveQuery },
  responses: {
    200: json(cveSchema, 'Advisories and affected hosts'),
    404: problemResponse('No advisory is known by this id'),
  },
});

export const hostVulnerabilitiesRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/vulnerabilities',
  tags,
  operationId: 'hostVulnerabilities',
  summary: 'The advisories affecting a host, now or as of an instant',
  request: { params: idParams, query: hostVulnerabilitiesQuery },
  responses: {
    200: json(hostVulnerabilitiesSchema, 'Matches'),
    404: problemResponse('No such host'),
  },
});

export const fleetRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/fleet/vulnerabilities',
  tags,
  operationId: 'fleetVulnerabilities',
  summary: 'Affected hosts by severity and by advisory, most-affected first',
  request: { query: fleetQuery },
  responses: { 200: json(fleetSchema, 'Counts') },
});
