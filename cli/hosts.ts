// `hostintel hosts add|list|remove`: the host table from the command line. A new host is the
// API's registration body built from flags and checked by the API's own schema, then stored
// by the same sql/hosts.ts call (its inline credential sealed with the same secret box).
import { readFile, stat } from 'node:fs/promises';
import { toApiHost } from '../http/hosts/hosts.handlers.ts';
import { registerHostSchema } from '../http/hosts/hosts.schemas.ts';
import type { Sql } from '../sql/client.ts';
import { CredentialNotFoundError } from '../sql/credentials.ts';
import {
  deleteHost,
  getHost,
  getHostByName,
  HostNameTakenError,
  type HostRow,
  listHosts,
  registerHost,
} from '../sql/hosts.ts';
import type { SecretBox } from '../sql/secrets.ts';
import { describeIssue, parseInteger, parseLabels } from './hosts-args.ts';
import { type Io, readSecret, UsageError } from './hosts-io.ts';
import { hostsTable } from './hosts-table.ts';

export interface HostsDeps {
  sql: Sql;
  /** Loaded only by commands that store a secret (a dry run must not create a key file). */
  secrets: () => Promise<SecretBox>;
  io: Io;
}

export interface AddHostOptions {
  address?: string;
  port?: string;
  user?: string;
  keyFile?: string;
  passphraseStdin?: boolean;
  passwordStdin?: boolean;
  agent?: boolean;
  credential?: string;
  label?: string[];
  group?: string[];
  hostKeyPolicy?: string;
  hostKey?: string;
  sudo?: boolean;
  jump?: string;
  disabled?: boolean;
  json?: boolean;
}

/** Which flag set which field of the registration body, for one-line errors. */
export const registrationFlags: Readonly<Record<string, string>> = {
  name: '<name>',
  address: '--address',
  port: '--port',
  username: '--user',
  hostKeyPolicy: '--host-key-policy',
  hostKey: '--host-key',
  jumpHost: '--jump',
  labels: '--label',
  groups: '--group',
  'credential.privateKey': '--key-file',
  'credential.passphrase': '--passphrase-stdin',
  'credential.password': '--password-stdin',
  'credential.id': '--credential',
};

// The largest private key the API accepts (credential-schemas.ts); anything bigger is no key.
const MAX_KEY_BYTES = 65_536;

/** A private key file's text; errors name the file and the reason, never its content. */
export async function readKeyFile(file: string, flag: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${flag} ${file} is not a file`);
    if (info.size > MAX_KEY_BYTES) {
      throw new UsageError(`${flag} ${file} is larger than a private key can be`);
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`${flag} ${file} cannot be read (${code})`);
  }
}

async function credentialOf(io: Io, options: AddHostOptions): Promise<unknown> {
  const given = [
    options.keyFile && '--key-file',
    options.passwordStdin && '--password-stdin',
    options.agent && '--agent',
    options.credential && '--credential',
  ].filter(Boolean);
  if (given.length === 0) {
    throw new UsageError(
      'say how to log in: --key-file <file>, --password-stdin, --agent or --credential <id>',
    );
  }
  if (given.length > 1) throw new UsageError(`give only one of ${given.join(', ')}`);
  if (options.passphraseStdin && !options.keyFile) {
    throw new UsageError('--passphrase-stdin goes with --key-file');
  }
  if (options.keyFile) {
    const privateKey = await readKeyFile(options.keyFile, '--key-file');
    return options.passphraseStdin
      ? { type: 'privateKey', privateKey, passphrase: await readSecret(io, '--passphrase-stdin') }
      : { type: 'privateKey', privateKey };
  }
  if (options.passwordStdin) {
    return { type: 'password', password: await readSecret(io, '--password-stdin') };
  }
  if (options.agent) return { type: 'agent' };
  return { id: options.credential };
}

export async function addHostCommand(
  deps: HostsDeps,
  name: string,
  options: AddHostOptions,
): Promise<HostRow> {
  if (!options.user) throw new UsageError('--user <name> is required (the SSH login user)');
  const body = {
    name,
    address: options.address ?? name,
    ...(options.port !== undefined ? { port: parseInteger(options.port, '--port') } : {}),
    username: options.user,
    ...(options.hostKeyPolicy !== undefined ? { hostKeyPolicy: options.hostKeyPolicy } : {}),
    ...(options.hostKey !== undefined ? { hostKey: options.hostKey } : {}),
    ...(options.label?.length ? { labels: parseLabels(options.label) } : {}),
    ...(options.group?.length ? { groups: options.group } : {}),
    ...(options.sudo ? { sudo: true } : {}),
    ...(options.jump !== undefined ? { jumpHost: options.jump } : {}),
    ...(options.disabled ? { enabled: false } : {}),
    credential: await credentialOf(deps.io, options),
  };
  const parsed = registerHostSchema.safeParse(body);
  if (!parsed.success) throw new UsageError(describeIssue(parsed.error.issues, registrationFlags));
  const { credential, ...host } = parsed.data;
  let row: HostRow;
  try {
    row = await registerHost(deps.sql, await deps.secrets(), {
      ...host,
      credential: 'id' in credential ? { id: credential.id } : { secret: credential },
    });
  } catch (error) {
    if (error instanceof HostNameTakenError) {
      throw new UsageError(`a host named ${JSON.stringify(name)} is already registered`);
    }
    if (error instanceof CredentialNotFoundError) {
      throw new UsageError(`--credential ${options.credential}: no stored credential has this id`);
    }
    throw error;
  }
  deps.io.stdout.write(
    options.json ? `${JSON.stringify(toApiHost(row))}\n` : `added ${row.name} (${row.id})\n`,
  );
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A host by id or by name (an id first: names are free text, ids are not). */
export async function findHost(sql: Sql, ref: string): Promise<HostRow | null> {
  if (UUID.test(ref)) {
    const byId = await getHost(sql, ref.toLowerCase());
    if (byId) return byId;
  }
  return getHostByName(sql, ref);
}

export async function requireHost(sql: Sql, ref: string, flag = 'host'): Promise<HostRow> {
  const host = await findHost(sql, ref);
  if (!host) throw new UsageError(`${flag} ${JSON.stringify(ref)}: no host has this name or id`);
  return host;
}

/** Every host (or those with all the labels and groups given), by name. */
export async function allHosts(
  sql: Sql,
  filter: { labels?: [string, string][]; groups?: string[] } = {},
): Promise<HostRow[]> {
  const hosts: HostRow[] = [];
  for (;;) {
    const last = hosts[hosts.length - 1];
    const page = await listHosts(sql, {
      ...filter,
      limit: 1000,
      after: last && { name: last.name, id: last.id },
    });
    hosts.push(...page);
    if (page.length < 1000) return hosts;
  }
}

export async function listHostsCommand(
  deps: Pick<HostsDeps, 'sql' | 'io'>,
  options: { json?: boolean; label?: string[]; group?: string[] },
): Promise<HostRow[]> {
  const hosts = await allHosts(deps.sql, {
    labels: Object.entries(parseLabels(options.label)),
    groups: options.group ?? [],
  });
  if (options.json) {
    deps.io.stdout.write(`${JSON.stringify(hosts.map(toApiHost), null, 2)}\n`);
  } else if (hosts.length === 0) {
    deps.io.stderr.write('no hosts\n');
  } else {
    deps.io.stdout.write(hostsTable(hosts));
  }
  return hosts;
}

export async function removeHostCommand(
  deps: Pick<HostsDeps, 'sql' | 'io'>,
  ref: string,
): Promise<HostRow> {
  const host = await requireHost(deps.sql, ref);
  // Deleted meanwhile by someone else: the outcome the operator wanted, but say so.
  if (!(await deleteHost(deps.sql, host.id))) {
    throw new UsageError(`host ${JSON.stringify(ref)} was removed meanwhile`);
  }
  deps.io.stdout.write(`removed ${host.name} (${host.id})\n`);
  return host;
}
