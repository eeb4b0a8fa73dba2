// Host handlers: validated input in, sql/hosts.ts calls, the host shape out.
import { type RouteHandler, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { fingerprint } from '../../collectors/transport.ts';
import { CredentialNotFoundError, type CredentialSecret } from '../../sql/credentials.ts';
import {
  type CredentialInput,
  deleteHost,
  getHost,
  HostNameTakenError,
  type HostRow,
  listHosts,
  pinHostKey,
  registerHost,
  unpinHostKey,
  updateHost,
} from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorText, decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type * as routes from './hosts.routes.ts';
import { many, splitLabel } from './hosts.schemas.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export function toApiHost(row: HostRow) {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    port: row.port,
    username: row.username,
    hostKeyPolicy: row.hostKeyPolicy,
    hostKeyFingerprint: row.hostKey ? fingerprint(row.hostKey) : null,
    labels: row.labels,
    groups: row.groups,
    sudo: row.sudo,
    enabled: row.enabled,
    factsIntervalS: row.factsIntervalS,
    metricsIntervalS: row.metricsIntervalS,
    disabledCollectors: row.disabledCollectors,
    jumpHost: row.jumpHost,
    credential: row.credential,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toHostKey(row: HostRow) {
  return {
    hostId: row.id,
    hostKeyPolicy: row.hostKeyPolicy,
    hostKey: row.hostKey,
    keyType: row.hostKey?.split(' ')[0] ?? null,
    fingerprint: row.hostKey ? fingerprint(row.hostKey) : null,
    pinnedAt: iso(row.hostKeyPinnedAt),
  };
}

function credentialInput(body: { id: string } | CredentialSecret): CredentialInput {
  return 'id' in body ? { id: body.id } : { secret: body };
}

const hostCursor = z.tuple([cursorText, z.uuid()]);

/** Errors of sql/hosts.ts that are the client's doing; anything else is rethrown. */
function knownError(c: Context<AppEnv>, error: unknown) {
  if (error instanceof HostNameTakenError) {
    return problem(c, 'conflict', { detail: 'a host with this name exists' });
  }
  if (error instanceof CredentialNotFoundError) {
    const message = 'no stored credential with this id';
    return problem(c, 'validation-failed', {
      detail: message,
      errors: [{ location: 'body', path: 'credential.id', code: 'not_found', message }],
    });
  }
  throw error;
}

export function createHostHandlers({ sql, secrets }: ApiDeps) {
  const create: Handler<'createHostRoute'> = async (c) => {
    const { credential, ...host } = c.req.valid('json');
    try {
      const row = await registerHost(sql, secrets, {
        ...host,
        credential: credentialInput(credential),
      });
      c.set('auditTarget', row.id);
      return c.json(toApiHost(row), 201, { Location: `/v1/hosts/${row.id}` });
    } catch (error) {
      return knownError(c, error);
    }
  };

  const list: Handler<'listHostsRoute'> = async (c) => {
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, hostCursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    const rows = await listHosts(sql, {
      labels: many(query.label).map(splitLabel),
      groups: many(query.group),
      limit: query.limit + 1,
      after: after && { name: after[0], id: after[1] },
    });
    return c.json(
      page(rows, query.limit, toApiHost, (row) => [row.name, row.id]),
      200,
    );
  };

  const get: Handler<'getHostRoute'> = async (c) => {
    const row = await getHost(sql, c.req.valid('param').id);
    return row ? c.json(toApiHost(row), 200) : problem(c, 'not-found', { detail: 'no such host' });
  };

  const patch: Handler<'patchHostRoute'> = async (c) => {
    const { credential, ...fields } = c.req.valid('json');
    try {
      const row = await updateHost(sql, secrets, c.req.valid('param').id, {
        ...fields,
        ...(credential ? { credential: credentialInput(credential) } : {}),
      });
      return row
        ? c.json(toApiHost(row), 200)
        : problem(c, 'not-found', { detail: 'no such host' });
    } catch (error) {
      return knownError(c, error);
    }
  };

  const remove: Handler<'deleteHostRoute'> = async (c) => {
    const deleted = await deleteHost(sql, c.req.valid('param').id);
    return deleted ? c.body(null, 204) : problem(c, 'not-found', { detail: 'no such host' });
  };

  const getKey: Handler<'getHostKeyRoute'> = async (c) => {
    const row = await getHost(sql, c.req.valid('param').id);
    return row ? c.json(toHostKey(row), 200) : problem(c, 'not-found', { detail: 'no such host' });
  };

  const putKey: Handler<'putHostKeyRoute'> = async (c) => {
    const { id } = c.req.valid('param');
    const result = await pinHostKey(sql, id, c.req.valid('json').hostKey, { replace: true });
    const row = result === 'not-found' ? null : await getHost(sql, id);
    return row ? c.json(toHostKey(row), 200) : problem(c, 'not-found', { detail: 'no such host' });
  };

  const deleteKey: Handler<'deleteHostKeyRoute'> = async (c) => {
    const found = await unpinHostKey(sql, c.req.valid('param').id);
    return found ? c.body(null, 204) : problem(c, 'not-found', { detail: 'no such host' });
  };

  return { create, list, get, patch, remove, getKey, putKey, deleteKey };
}
