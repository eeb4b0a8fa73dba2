// `hostintel hosts import <file>`: hosts from an Ansible inventory (INI or YAML) or an
// ssh_config. The file is parsed whole first (an invalid file names its line and nothing is
// imported), every host is then checked with the API's own schemas, and only then is anything
// written: all of it in ONE transaction. A dry run stops before writing.
//
// Hosts are matched by name (cli/inventory/plan.ts): new ones are registered with an inline
// credential — the key file the inventory names (IdentityFile / ansible_private_key_file),
// else --key-file / --agent / --credential — and existing ones get the inventory's address,
// port, user, labels, groups and jump host. An import never removes a host and never
// replaces an existing host's credential.
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { patchHostSchema, registerHostSchema } from '../http/hosts/hosts.schemas.ts';
import { hostKeyPolicies } from '../collectors/transport.ts';
import { getCredential } from '../sql/credentials.ts';
import {
  HostNameTakenError,
  type HostPatch,
  type HostRow,
  inOneTransaction,
  type NewHost,
  registerHost,
  setJumpHost,
  updateHost,
} from '../sql/hosts.ts';
import {
  type ExistingHost,
  formatPlan,
  type ImportPlan,
  type InventoryFormat,
  type InventoryHost,
  type InventoryNotice,
  parseInventory,
  planImport,
} from './inventory/index.ts';
import { inventoryFormats } from './inventory/detect.ts';
import { describeIssue } from './hosts-args.ts';
import { expandIdentityFile } from './hosts-identity.ts';
import { UsageError } from './hosts-io.ts';
import { Progress } from './hosts-progress.ts';
import { allHosts, type HostsDeps, readKeyFile } from './hosts.ts';

export interface ImportOptions {
  format?: string;
  dryRun?: boolean;
  /** For hosts the inventory gives no user. */
  user?: string;
  /** For new hosts whose entry names no key file (one of these three at most). */
  keyFile?: string;
  agent?: boolean;
  credential?: string;
  hostKeyPolicy?: string;
}

/** A file that cannot be imported as it is: nothing was written. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}

export interface ImportOutcome {
  plan: ImportPlan;
  written: boolean;
  notices: InventoryNotice[];
}

interface PreparedAdd {
  name: string;
  host: NewHost;
  jumpHost: string | null;
}

interface PreparedUpdate {
  name: string;
  id: string;
  patch: HostPatch;
  /** Present when the jump host changes (null: removed). */
  jumpHost?: string | null;
}

// Stored as text and handed to ssh later: one line, no controls, a sane length.
const JUMP_HOST = /^[^\s\u0000-\u001f\u007f]{1,1024}$/;

export async function importHostsCommand(
  deps: HostsDeps,
  file: string,
  options: ImportOptions,
): Promise<ImportOutcome> {
  const format = checkOptions(options);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`${file} cannot be read (${code})`);
  }
  const notices: InventoryNotice[] = [];
  const incoming = parseInventory(text, {
    file,
    ...(format ? { format } : {}),
    onNotice: (notice) => notices.push(notice),
  });
  for (const n of notices) deps.io.stderr.write(`${file}:${n.line}: ${n.message}\n`);

  const existing = await allHosts(deps.sql);
  const plan = withDefaultUser(planOrFail(existing, incoming, file), options.user);
  const prepared = await prepare(deps, file, plan, existing, options);
  const lines = formatPlan(plan);
  const summary = lines.pop() ?? '';
  for (const line of lines) deps.io.stdout.write(`${line}\n`);
  if (options.dryRun) {
    deps.io.stdout.write(`${summary}\ndry run: nothing was written\n`);
    return { plan, written: false, notices };
  }

  await write(deps, prepared);
  deps.io.stdout.write(
    `imported ${file}: ${plan.add.length} added, ${plan.update.length} changed, ` +
      `${plan.unchanged.length} unchanged\n`,
  );
  return { plan, written: true, notices };
}

function checkOptions(options: ImportOptions): InventoryFormat | undefined {
  const format = options.format;
  if (format !== undefined && !(inventoryFormats as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${inventoryFormats.join(', ')}`);
  }
  const policy = options.hostKeyPolicy;
  if (policy !== undefined && !(hostKeyPolicies as readonly string[]).includes(policy)) {
    throw new UsageError(`--host-key-policy must be one of ${hostKeyPolicies.join(', ')}`);
  }
  const given = [
    options.keyFile && '--key-file',
    options.agent && '--agent',
    options.credential && '--credential',
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give only one of ${given.join(', ')}`);
  return format as InventoryFormat | undefined;
}

function planOrFail(existing: readonly HostRow[], incoming: InventoryHost[], file: string) {
  const current: ExistingHost[] = existing.map((h) => ({
    name: h.name,
    address: h.address,
    port: h.port,
    username: h.username,
    labels: h.labels,
    groups: h.groups,
    jumpHost: h.jumpHost,
  }));
  try {
    return planImport(current, incoming);
  } catch (error) {
    throw new ImportError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** --user fills in new hosts only: an existing host keeps its user unless the file says. */
function withDefaultUser(plan: ImportPlan, user: string | undefined): ImportPlan {
  if (user === undefined) return plan;
  return { ...plan, add: plan.add.map((h) => ({ ...h, username: h.username ?? user })) };
}

/** Every write, built and checked with the API's schemas before the transaction opens. */
async function prepare(
  deps: HostsDeps,
  file: string,
  plan: ImportPlan,
  existing: readonly HostRow[],
  options: ImportOptions,
): Promise<{ adds: PreparedAdd[]; updates: PreparedUpdate[] }> {
  const fail: (name: string, reason: string) => never = (name, reason) => {
    throw new ImportError(`${file}: ${name}: ${reason}; nothing was imported`);
  };
  if (options.credential && plan.add.length > 0) {
    const stored = await getCredential(deps.sql, options.credential).catch(() => null);
    if (!stored || stored.inline) {
      throw new UsageError(`--credential ${options.credential}: no stored credential has this id`);
    }
  }
  const keys = new Map<string, Promise<string>>();
  const readKey = (resolved: string, flag: string) => {
    let key = keys.get(resolved);
    if (!key) {
      key = readKeyFile(resolved, flag);
      keys.set(resolved, key);
    }
    return key;
  };

  const adds: PreparedAdd[] = [];
  for (const host of plan.add) {
    if (host.username === null) {
      fail(host.name, 'the file gives no user for it (ansible_user / User): pass --user');
    }
    checkJumpHost(host, fail);
    let credential: unknown;
    let keyLabel = '--key-file';
    if (host.identityFile !== null) {
      let resolved = '';
      try {
        resolved = expandIdentityFile(host.identityFile, {
          home: os.homedir(),
          localUser: os.userInfo().username,
          name: host.name,
          address: host.address,
          port: host.port,
          remoteUser: host.username,
        });
      } catch (error) {
        fail(host.name, `key file ${error instanceof Error ? error.message : String(error)}`);
      }
      keyLabel = `key file ${resolved}`;
      const privateKey = await readKey(resolved, 'key file').catch((error: unknown) =>
        fail(host.name, error instanceof Error ? error.message : String(error)),
      );
      credential = { type: 'privateKey', privateKey };
    } else if (options.keyFile) {
      credential = { type: 'privateKey', privateKey: await readKey(options.keyFile, '--key-file') };
    } else if (options.agent) {
      credential = { type: 'agent' };
    } else if (options.credential) {
      credential = { id: options.credential };
    } else {
      fail(host.name, 'the file names no key for it: pass --key-file, --agent or --credential');
    }
    const parsed = registerHostSchema.safeParse({
      name: host.name,
      address: host.address,
      port: host.port,
      username: host.username,
      ...(options.hostKeyPolicy ? { hostKeyPolicy: options.hostKeyPolicy } : {}),
      labels: host.labels,
      groups: host.groups,
      credential,
    });
    if (!parsed.success) fail(host.name, describeIssue(parsed.error.issues, importFlags(keyLabel)));
    const { credential: given, ...fields } = parsed.data;
    adds.push({
      name: host.name,
      host: { ...fields, credential: 'id' in given ? { id: given.id } : { secret: given } },
      jumpHost: host.proxyJump,
    });
  }

  const ids = new Map(existing.map((h) => [h.name, h.id]));
  const updates: PreparedUpdate[] = [];
  for (const { name, host, changes } of plan.update) {
    checkJumpHost(host, fail);
    const fields = new Set(changes.map((c) => c.field));
    const parsed = patchHostSchema.safeParse({
      ...(fields.has('address') ? { address: host.address } : {}),
      ...(fields.has('port') ? { port: host.port } : {}),
      ...(fields.has('username') && host.username !== null ? { username: host.username } : {}),
      ...(fields.has('labels') ? { labels: host.labels } : {}),
      ...(fields.has('groups') ? { groups: host.groups } : {}),
    });
    if (!parsed.success) fail(name, describeIssue(parsed.error.issues, importFlags('key file')));
    const { credential: _none, ...patch } = parsed.data;
    updates.push({
      name,
      id: ids.get(name) as string,
      patch,
      ...(fields.has('jumpHost') ? { jumpHost: host.proxyJump } : {}),
    });
  }
  return { adds, updates };
}

function importFlags(keyLabel: string): Record<string, string> {
  return {
    name: 'host name',
    address: 'address',
    port: 'port',
    username: 'user',
    labels: 'label',
    groups: 'group',
    hostKeyPolicy: '--host-key-policy',
    'credential.privateKey': keyLabel,
    'credential.id': '--credential',
  };
}

function checkJumpHost(host: InventoryHost, fail: (name: string, reason: string) => never) {
  if (host.proxyJump !== null && !JUMP_HOST.test(host.proxyJump)) {
    fail(host.name, 'its jump host must be one line of at most 1024 characters');
  }
}

async function write(
  deps: HostsDeps,
  prepared: { adds: PreparedAdd[]; updates: PreparedUpdate[] },
): Promise<void> {
  const secrets = await deps.secrets();
  const progress = new Progress({
    verb: 'importing',
    total: prepared.adds.length + prepared.updates.length,
    stream: deps.io.stderr,
  });
  let current = '';
  try {
    await inOneTransaction(deps.sql, async (tx) => {
      for (const add of prepared.adds) {
        current = add.name;
        const row = await registerHost(tx, secrets, add.host);
        if (add.jumpHost !== null) await setJumpHost(tx, row.id, add.jumpHost);
        progress.succeeded();
      }
      for (const update of prepared.updates) {
        current = update.name;
        const found =
          Object.keys(update.patch).length > 0
            ? (await updateHost(tx, secrets, update.id, update.patch)) !== null
            : true;
        const jumped =
          update.jumpHost === undefined || (await setJumpHost(tx, update.id, update.jumpHost));
        if (!found || !jumped) {
          throw new ImportError(`${update.name} was removed while importing; nothing was imported`);
        }
        progress.succeeded();
      }
    });
  } catch (error) {
    if (error instanceof HostNameTakenError) {
      throw new ImportError(
        `${current} was registered by someone else while importing; nothing was imported`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    progress.finish();
  }
}
