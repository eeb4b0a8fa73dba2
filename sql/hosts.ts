// The host table: registration, reads for the API, and what a runner needs to reach each
// host. Every change fires NOTIFY hostintel_hosts '<id>' (trigger, migration 012), which a
// runner follows instead of polling. A credential given inline belongs to its host: it is
// created, replaced and deleted together with it, in one transaction.
import type { HostKeyPolicy, SshTarget } from '../collectors/transport.ts';
import type { Sql, TransactionSql } from './client.ts';
import {
  CredentialNotFoundError,
  type CredentialSecret,
  type CredentialType,
  createCredential,
  openCredential,
  type SealedCredential,
} from './credentials.ts';
import type { SecretBox } from './secrets.ts';

export interface HostRow {
  id: string;
  name: string;
  address: string;
  port: number;
  username: string;
  hostKeyPolicy: HostKeyPolicy;
  /** The pinned host key, "ssh-ed25519 AAAA…", or null before first contact. */
  hostKey: string | null;
  hostKeyPinnedAt: Date | null;
  jumpHost: string | null;
  sudo: boolean;
  labels: Record<string, string>;
  groups: string[];
  enabled: boolean;
  /** null: the fleet default. */
  factsIntervalS: number | null;
  metricsIntervalS: number | null;
  disabledCollectors: string[];
  credential: { id: string; type: CredentialType } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A stored credential by id, or a new one that belongs to this host. */
export type CredentialInput = { id: string } | { secret: CredentialSecret };

export interface NewHost {
  name: string;
  address: string;
  port?: number;
  username: string;
  hostKeyPolicy?: HostKeyPolicy;
  hostKey?: string | null;
  labels?: Record<string, string>;
  groups?: string[];
  sudo?: boolean;
  enabled?: boolean;
  factsIntervalS?: number | null;
  metricsIntervalS?: number | null;
  disabledCollectors?: string[];
  /** ssh's ProxyJump syntax; each hop a registered host (sql/jump-hosts.ts). */
  jumpHost?: string | null;
  credential: CredentialInput;
}

export type HostPatch = Partial<Omit<NewHost, 'hostKey'>>;

export interface HostFilter {
  /** Every label must match (key → value). */
  labels?: readonly (readonly [string, string])[];
  /** The host must be in every group. */
  groups?: readonly string[];
}

export interface RunnerHost {
  id: string;
  name: string;
  address: string;
  port: number;
  username: string;
  hostKeyPolicy: HostKeyPolicy;
  hostKey: string | null;
  jumpHost: string | null;
  sudo: boolean;
  enabled: boolean;
  labels: Record<string, string>;
  groups: string[];
  factsIntervalS: number | null;
  metricsIntervalS: number | null;
  disabledCollectors: string[];
  /** Open with openCredential(box, credential) where the connection is made. */
  credential: SealedCredential | null;
  /** Changes whenever the row changes: a cheap "reconfigure needed" test. */
  updatedAt: Date;
}

export class HostNameTakenError extends Error {
  override readonly name = 'HostNameTakenError';
}

interface HostRecord extends Omit<HostRow, 'credential'> {
  credentialId: string | null;
  credentialType: CredentialType | null;
}

function columns(sql: Sql) {
  return sql`
    h.id, h.name, h.address, h.port, h.username, h.host_key_policy as "hostKeyPolicy",
    h.host_key as "hostKey", h.host_key_pinned_at as "hostKeyPinnedAt",
    h.jump_host as "jumpHost", h.sudo, h.labels, h.groups, h.enabled,
    h.facts_interval_s as "factsIntervalS", h.metrics_interval_s as "metricsIntervalS",
    h.disabled_collectors as "disabledCollectors", h.credential_id as "credentialId",
    c.type as "credentialType", h.created_at as "createdAt", h.updated_at as "updatedAt"`;
}

function toRow({ credentialId, credentialType, ...rest }: HostRecord): HostRow {
  return {
    ...rest,
    credential: credentialId && credentialType ? { id: credentialId, type: credentialType } : null,
  };
}

export async function getHost(sql: Sql, id: string): Promise<HostRow | null> {
  const [record] = await sql<HostRecord[]>`
    select ${columns(sql)} from hosts h left join credentials c on c.id = h.credential_id
    where h.id = ${id}`;
  return record ? toRow(record) : null;
}

/** Hosts by (name, id) after the cursor, filtered by labels and groups. */
export async function listHosts(
  sql: Sql,
  options: HostFilter & { limit: number; after?: { name: string; id: string } | undefined },
): Promise<HostRow[]> {
  const { after } = options;
  const labels = (options.labels ?? []).reduce(
    (fragment, [key, value]) => sql`${fragment} and h.labels @> ${sql.json({ [key]: value })}`,
    sql``,
  );
  const groups = options.groups?.length
    ? sql`and h.groups @> ${[...options.groups]}::text[]`
    : sql``;
  const records = await sql<HostRecord[]>`
    select ${columns(sql)} from hosts h left join credentials c on c.id = h.credential_id
    where true ${labels} ${groups}
      ${after ? sql`and (h.name, h.id) > (${after.name}, ${after.id})` : sql``}
    order by h.name, h.id
    limit ${options.limit}`;
  return records.map(toRow);
}

/**
 * Registers a host (and its inline credential) in one transaction.
 * Throws HostNameTakenError, CredentialNotFoundError.
 */
export async function registerHost(sql: Sql, box: SecretBox, host: NewHost): Promise<HostRow> {
  const id = await inTransaction(sql, async (tx) => {
    const credentialId = await resolveCredential(tx, box, host.credential, host.name);
    const [row] = await tx<{ id: string }[]>`
      insert into hosts (
        name, address, port, username, host_key_policy, host_key, host_key_pinned_at,
        labels, groups, sudo, enabled, facts_interval_s, metrics_interval_s,
        disabled_collectors, jump_host, credential_id
      ) values (
        ${host.name}, ${host.address}, ${host.port ?? 22}, ${host.username},
        ${host.hostKeyPolicy ?? 'accept-new'}, ${host.hostKey ?? null},
        ${host.hostKey ? sql`now()` : null}, ${tx.json(host.labels ?? {})},
        ${host.groups ?? []}::text[], ${host.sudo ?? false}, ${host.enabled ?? true},
        ${host.factsIntervalS ?? null}, ${host.metricsIntervalS ?? null},
        ${host.disabledCollectors ?? []}::text[], ${host.jumpHost ?? null}, ${credentialId}
      ) returning id`;
    if (!row) throw new Error('insert returned no row');
    return row.id;
  });
  const created = await getHost(sql, id);
  if (!created) throw new Error(`host ${id} vanished after insert`);
  return created;
}

/**
 * Applies the fields present in `patch`; null resets an interval to the fleet default.
 * A new credential replaces the old one, which is deleted if it was inline.
 * Returns null when there is no such host. Throws HostNameTakenError, CredentialNotFoundError.
 */
export async function updateHost(
  sql: Sql,
  box: SecretBox,
  id: string,
  patch: HostPatch,
): Promise<HostRow | null> {
  const found = await inTransaction(sql, async (tx) => {
    const [current] = await tx<{ name: string; credentialId: string | null }[]>`
      select name, credential_id as "credentialId" from hosts where id = ${id} for update`;
    if (!current) return false;
    const values: Record<string, unknown> = {};
    const set = (column: string, value: unknown) => {
      if (value !== undefined) values[column] = value;
    };
    set('name', patch.name);
    set('address', patch.address);
    set('port', patch.port);
    set('username', patch.username);
    set('host_key_policy', patch.hostKeyPolicy);
    set('labels', patch.labels && tx.json(patch.labels));
    set('groups', patch.groups && tx.array(patch.groups));
    set('sudo', patch.sudo);
    set('enabled', patch.enabled);
    set('facts_interval_s', patch.factsIntervalS);
    set('metrics_interval_s', patch.metricsIntervalS);
    set('disabled_collectors', patch.disabledCollectors && tx.array(patch.disabledCollectors));
    set('jump_host', patch.jumpHost);
    if (patch.credential) {
      const name = patch.name ?? current.name;
      set('credential_id', await resolveCredential(tx, box, patch.credential, name));
    }
    if (Object.keys(values).length === 0) return true;
    await tx`update hosts set ${tx(values)} where id = ${id}`;
    if (patch.credential && current.credentialId !== values.credential_id) {
      await tx`delete from credentials where id = ${current.credentialId} and inline`;
    }
    return true;
  });
  return found ? getHost(sql, id) : null;
}

/** Deletes the host and its inline credential; false when there is no such host. */
export async function deleteHost(sql: Sql, id: string): Promise<boolean> {
  return inTransaction(sql, async (tx) => {
    const [row] = await tx<{ credentialId: string | null }[]>`
      delete from hosts where id = ${id} returning credential_id as "credentialId"`;
    if (!row) return false;
    if (row.credentialId) {
      await tx`delete from credentials where id = ${row.credentialId} and inline`;
    }
    return true;
  });
}

export type PinResult = 'pinned' | 'unchanged' | 'conflict' | 'not-found';

/**
 * Pins the host key presented on first contact. Without `replace` an already pinned,
 * different key stays (→ 'conflict'): only an operator replaces a pinned key.
 */
export async function pinHostKey(
  sql: Sql,
  hostId: string,
  key: string,
  options: { replace?: boolean } = {},
): Promise<PinResult> {
  const [row] = await sql<{ before: string | null; after: string | null }[]>`
    with before as (select host_key from hosts where id = ${hostId} for update)
    update hosts h set
      host_key = case when ${options.replace ?? false} or h.host_key is null
        then ${key} else h.host_key end,
      host_key_pinned_at = case when h.host_key is distinct from ${key}
        and (${options.replace ?? false} or h.host_key is null)
        then now() else h.host_key_pinned_at end
    from before where h.id = ${hostId}
    returning before.host_key as before, h.host_key as after`;
  if (!row) return 'not-found';
  if (row.before === key) return 'unchanged';
  return row.after === key ? 'pinned' : 'conflict';
}

/** Forgets the pinned key, so the next contact pins again. false: no such host. */
export async function unpinHostKey(sql: Sql, hostId: string): Promise<boolean> {
  const rows = await sql`
    update hosts set host_key = null, host_key_pinned_at = null where id = ${hostId}
    returning id`;
  return rows.length > 0;
}

/** Everything a runner needs to build SSH targets, for all hosts or the given ids. */
export async function hostsForRunner(
  sql: Sql,
  options: { ids?: readonly string[] } = {},
): Promise<RunnerHost[]> {
  const rows = await sql<(Omit<RunnerHost, 'credential'> & RunnerCredentialColumns)[]>`
    select h.id, h.name, h.address, h.port, h.username, h.host_key_policy as "hostKeyPolicy",
      h.host_key as "hostKey", h.jump_host as "jumpHost", h.sudo, h.enabled, h.labels,
      h.groups, h.facts_interval_s as "factsIntervalS",
      h.metrics_interval_s as "metricsIntervalS", h.disabled_collectors as "disabledCollectors",
      c.id as "credentialId", c.type as "credentialType", c.secret as "credentialSecret",
      h.updated_at as "updatedAt"
    from hosts h left join credentials c on c.id = h.credential_id
    ${options.ids ? sql`where h.id = any(${[...options.ids]}::uuid[])` : sql``}
    order by h.id`;
  return rows.map(({ credentialId, credentialType, credentialSecret, ...host }) => ({
    ...host,
    credential:
      credentialId && credentialType
        ? { id: credentialId, type: credentialType, secret: credentialSecret }
        : null,
  }));
}

/**
 * The SSH target of a runner host, its secret opened with the box; null when the host has
 * no credential. Throws SecretBoxError when the secret does not open (wrong key).
 */
export function sshTarget(host: RunnerHost, box: SecretBox): SshTarget | null {
  if (!host.credential) return null;
  return {
    address: host.address,
    port: host.port,
    username: host.username,
    auth: openCredential(box, host.credential),
    hostKeyPolicy: host.hostKeyPolicy,
    knownHostKey: host.hostKey,
  };
}

interface RunnerCredentialColumns {
  credentialId: string | null;
  credentialType: CredentialType | null;
  credentialSecret: Buffer | null;
}

async function resolveCredential(
  tx: TransactionSql,
  box: SecretBox,
  input: CredentialInput,
  hostName: string,
): Promise<string> {
  if ('id' in input) {
    const [row] = await tx`select id from credentials where id = ${input.id} and not inline`;
    if (!row) throw new CredentialNotFoundError(`no stored credential ${input.id}`);
    return input.id;
  }
  const created = await createCredential(tx as unknown as Sql, box, {
    name: `host ${hostName}`,
    secret: input.secret,
    inline: true,
  });
  return created.id;
}

/** Runs `work` in a transaction and turns constraint violations into named errors. */
async function inTransaction<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  try {
    return (await sql.begin(work)) as T;
  } catch (error) {
    const pg = error as { code?: string; constraint_name?: string };
    if (pg.code === '23505' && pg.constraint_name === 'hosts_name_key') {
      throw new HostNameTakenError('a host with this name exists', { cause: error });
    }
    if (pg.code === '23503' && pg.constraint_name === 'hosts_credential_id_fkey') {
      throw new CredentialNotFoundError('the credential was deleted', { cause: error });
    }
    throw error;
  }
}

/** The host with exactly this name, or null (names are unique). */
export async function getHostByName(sql: Sql, name: string): Promise<HostRow | null> {
  const [record] = await sql<HostRecord[]>`
    select ${columns(sql)} from hosts h left join credentials c on c.id = h.credential_id
    where h.name = ${name}`;
  return record ? toRow(record) : null;
}

/**
 * Sets the host's jump host (`[user@]host[:port]`, or a comma-separated chain as ssh's
 * ProxyJump takes it), or clears it with null. false: no such host.
 */
export async function setJumpHost(sql: Sql, id: string, jumpHost: string | null): Promise<boolean> {
  const rows = await sql`update hosts set jump_host = ${jumpHost} where id = ${id} returning id`;
  return rows.length > 0;
}

/**
 * Runs `work` in ONE transaction. Where this module's functions (registerHost, updateHost,
 * deleteHost…) would begin a transaction of their own on the Sql that `work` receives, they
 * open a savepoint instead, so everything `work` does commits together or not at all (an
 * inventory import). postgres.js gives a transaction no `begin`, only `savepoint`.
 */
export async function inOneTransaction<T>(sql: Sql, work: (sql: Sql) => Promise<T>): Promise<T> {
  return (await sql.begin((tx) => {
    const nested = new Proxy(tx, {
      get: (target, property, receiver) =>
        property === 'begin'
          ? (fn: (inner: TransactionSql) => unknown) => target.savepoint(fn)
          : Reflect.get(target, property, receiver),
    });
    return work(nested as unknown as Sql);
  })) as T;
}
