// Host registration, reads, changes, deletion, and the pinned host key.
import { listSchema, pageQuery } from '../pagination.ts';
import { problemResponse } from '../problem.ts';
import { body, json, secureRoute } from '../route.ts';
import { idParams } from '../schemas.ts';
import {
  hostKeySchema,
  hostSchema,
  listHostsQuery,
  patchHostSchema,
  pinHostKeySchema,
  registerHostSchema,
} from './hosts.schemas.ts';

const tags = ['hosts'];

export const createHostRoute = secureRoute('operator', {
  method: 'post',
  path: '/v1/hosts',
  tags,
  operationId: 'createHost',
  summary: 'Register a host',
  request: { body: body(registerHostSchema) },
  responses: {
    201: json(hostSchema, 'The registered host'),
    409: problemResponse('A host with this name exists'),
    422: problemResponse('Invalid body, or no stored credential with that id'),
  },
});

export const listHostsRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts',
  tags,
  operationId: 'listHosts',
  summary: 'List hosts by name, filtered by labels and groups',
  request: { query: listHostsQuery.extend(pageQuery) },
  responses: {
    200: json(listSchema(hostSchema), 'A page of hosts'),
    400: problemResponse('Invalid filter or cursor'),
  },
});

export const getHostRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}',
  tags,
  operationId: 'getHost',
  summary: 'One host',
  request: { params: idParams },
  responses: {
    200: json(hostSchema, 'The host'),
    404: problemResponse('No such host'),
  },
});

export const patchHostRoute = secureRoute('operator', {
  method: 'patch',
  path: '/v1/hosts/{id}',
  tags,
  operationId: 'updateHost',
  summary: 'Change a host (only the fields given)',
  request: { params: idParams, body: body(patchHostSchema) },
  responses: {
    200: json(hostSchema, 'The changed host'),
    404: problemResponse('No such host'),
    409: problemResponse('A host with this name exists'),
    422: problemResponse('Invalid body, or no stored credential with that id'),
  },
});

export const deleteHostRoute = secureRoute('operator', {
  method: 'delete',
  path: '/v1/hosts/{id}',
  tags,
  operationId: 'deleteHost',
  summary: 'Delete a host, its inline credential and (by cascade) its history',
  request: { params: idParams },
  responses: {
    204: { description: 'Deleted' },
    404: problemResponse('No such host'),
  },
});

export const getHostKeyRoute = secureRoute('viewer', {
  method: 'get',
  path: '/v1/hosts/{id}/host-key',
  tags,
  operationId: 'getHostKey',
  summary: 'The pinned host key and its SHA256 fingerprint',
  request: { params: idParams },
  responses: {
    200: json(hostKeySchema, 'The pinned key (nulls when none is pinned yet)'),
    404: problemResponse('No such host'),
  },
});

export const putHostKeyRoute = secureRoute('operator', {
  method: 'put',
  path: '/v1/hosts/{id}/host-key',
  tags,
  operationId: 'pinHostKey',
  summary: 'Pin a host key by hand (e.g. from ssh-keyscan, verified out of band)',
  request: { params: idParams, body: body(pinHostKeySchema) },
  responses: {
    200: json(hostKeySchema, 'The pinned key'),
    404: problemResponse('No such host'),
  },
});

export const deleteHostKeyRoute = secureRoute('operator', {
  method: 'delete',
  path: '/v1/hosts/{id}/host-key',
  tags,
  operationId: 'unpinHostKey',
  summary: 'Forget the pinned key after a legitimate change: the next contact pins again',
  request: { params: idParams },
  responses: {
    204: { description: 'Unpinned' },
    404: problemResponse('No such host'),
  },
});
