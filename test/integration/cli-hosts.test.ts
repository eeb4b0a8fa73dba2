// `hostintel hosts add|list|remove|import` on a real database: in-process through the command
// functions (their output captured), and end to end through bin/hostintel.js.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { importHostsCommand } from '../../cli/hosts-import.ts';
import {
  addHostCommand,
  type HostsDeps,
  listHostsCommand,
  removeHostCommand,
} from '../../cli/hosts.ts';
import { InventoryError } from '../../cli/inventory/index.ts';
import { openCredential } from '../../sql/credentials.ts';
import { getHostByName, hostsForRunner, type RunnerHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { useTestDatabase } from '../support/db.ts';
import { memoryIo } from '../unit/cli/memory-io.ts';
import { runCli } from '../unit/cli/run-cli.ts';

const db = useTestDatabase();
const secretKey = randomBytes(32).toString('base64');
const box = createSecretBox(Buffer.from(secretKey, 'base64'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-cli-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newKey = (name: string) => {
  const file = path.join(dir, name);
  const { private: privateKey } = ssh2.utils.generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey, { mode: 0o600 });
  return { file, privateKey };
};
const keyA = newKey('id_a');
const keyB = newKey('id_b');
const inventory = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

const sshConfig = () =>
  inventory(
    'ssh_config',
    `Host bastion
  HostName 10.9.0.1
  User jump
  IdentityFile ${keyA.file}

Host app1 app2
  HostName %h.internal.example.net
  ProxyJump bastion
  IdentityFile ${dir}/%n

Host *
  User deploy
  IdentityFile ${keyB.file}
`,
  );

let secretsLoaded = 0;
function deps(options: Parameters<typeof memoryIo>[0] = {}) {
  const io = memoryIo(options);
  const d: HostsDeps = {
    sql: db.sql,
    secrets: async () => {
      secretsLoaded++;
      return box;
    },
    io: io.io,
  };
  return { deps: d, ...io };
}

const env = () => ({
  DATABASE_URL: db.url,
  HOSTINTEL_SECRET_KEY: secretKey,
  HOSTINTEL_DATA_DIR: path.join(dir, 'data'),
});

async function counts() {
  const [row] = await db.sql<{ hosts: number; credentials: number }[]>`
    select (select count(*)::int from hosts) as hosts,
      (select count(*)::int from credentials) as credentials`;
  return row;
}

async function runner(name: string): Promise<RunnerHost> {
  const row = await getHostByName(db.sql, name);
  if (!row) throw new Error(`${name} is not registered`);
  const [host] = await hostsForRunner(db.sql, { ids: [row.id] });
  if (!host) throw new Error(`${name} vanished`);
  return host;
}

async function secretOf(name: string) {
  const host = await runner(name);
  if (!host.credential) throw new Error(`${name} has no credential`);
  return openCredential(box, host.credential);
}

beforeEach(async () => {
  await db.sql`delete from hosts`;
  await db.sql`delete from credentials`;
});

describe('hosts add', () => {
  it('registers a host from flags, its key sealed with the secret box and never printed', async () => {
    const { deps: d, out } = deps();
    const row = await addHostCommand(d, 'web1', {
      address: '192.0.2.10',
      port: '2222',
      user: 'ops',
      keyFile: keyA.file,
      label: ['env=prod', 'role=web'],
      group: ['web', 'fra1'],
      hostKeyPolicy: 'strict',
      sudo: true,
    });
    expect(out()).toBe(`added web1 (${row.id})\n`);
    expect(row).toMatchObject({
      name: 'web1',
      address: '192.0.2.10',
      port: 2222,
      username: 'ops',
      hostKeyPolicy: 'strict',
      labels: { env: 'prod', role: 'web' },
      groups: ['web', 'fra1'],
      sudo: true,
      enabled: true,
      credential: { type: 'privateKey' },
    });
    expect(await secretOf('web1')).toEqual({ type: 'privateKey', privateKey: keyA.privateKey });
    const [stored] = await db.sql<{ secret: Buffer }[]>`select secret from credentials`;
    expect(stored?.secret.toString('latin1')).not.toContain('OPENSSH');
  });

  it('reads a password from stdin, and prints JSON without it', async () => {
    const { deps: d, out } = deps({ stdin: 'correct horse battery\n' });
    await addHostCommand(d, 'nas', { user: 'admin', passwordStdin: true, json: true });
    const json = JSON.parse(out());
    expect(json).toMatchObject({
      name: 'nas',
      address: 'nas',
      port: 22,
      credential: { type: 'password' },
      jumpHost: null,
    });
    expect(out()).not.toContain('correct horse');
    expect(await secretOf('nas')).toEqual({ type: 'password', password: 'correct horse battery' });
  });

  it('refuses bad input in one line and stores nothing', async () => {
    await addHostCommand(deps().deps, 'web1', { user: 'ops', agent: true });
    const before = await counts();
    const cases: [string, Parameters<typeof addHostCommand>[2], string][] = [
      ['web1', { user: 'ops', agent: true }, 'a host named "web1" is already registered'],
      ['web2', { user: 'ops' }, 'say how to log in: --key-file <file>'],
      ['web2', { user: 'ops', agent: true, keyFile: keyA.file }, 'give only one of --key-file'],
      ['web2', { agent: true }, '--user <name> is required'],
      ['web2', { user: 'ops', agent: true, port: '99999' }, 'invalid --port: Too big'],
      ['web2', { user: 'ops', agent: true, label: ['env'] }, '--label must be key=value'],
      ['web2', { user: 'ops', keyFile: `${keyA.file}.missing` }, 'cannot be read (ENOENT)'],
      [
        'web2',
        { user: 'ops', credential: '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71' },
        'no stored credential has this id',
      ],
    ];
    for (const [name, options, message] of cases) {
      await expect(addHostCommand(deps().deps, name, options), message).rejects.toThrow(message);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('hosts list and remove', () => {
  it('lists as a table or JSON, filtered by labels and groups; removes by name or id', async () => {
    await addHostCommand(deps().deps, 'web1', {
      user: 'ops',
      agent: true,
      label: ['env=prod'],
      group: ['web'],
    });
    const db1 = await addHostCommand(deps().deps, 'db1', {
      user: 'ops',
      agent: true,
      label: ['env=dev'],
    });

    const table = deps();
    await listHostsCommand(table.deps, {});
    const lines = table.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +ADDRESS +PORT +USER +GROUPS +LABELS +ENABLED +ID$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['db1', 'web1']);

    const json = deps();
    await listHostsCommand(json.deps, { json: true, label: ['env=prod'] });
    expect((JSON.parse(json.out()) as { name: string }[]).map((h) => h.name)).toEqual(['web1']);
    const byGroup = deps();
    await listHostsCommand(byGroup.deps, { json: true, group: ['web'] });
    expect(JSON.parse(byGroup.out())).toHaveLength(1);

    const removed = deps();
    await removeHostCommand(removed.deps, db1.id);
    expect(removed.out()).toBe(`removed db1 (${db1.id})\n`);
    await removeHostCommand(deps().deps, 'web1');
    expect(await counts()).toEqual({ hosts: 0, credentials: 0 });
    await expect(removeHostCommand(deps().deps, 'web1')).rejects.toThrow(
      'host "web1": no host has this name or id',
    );
    const empty = deps();
    await listHostsCommand(empty.deps, {});
    expect([empty.out(), empty.err()]).toEqual(['', 'no hosts\n']);
  });
});

describe('hosts import', () => {
  const ini = () =>
    inventory(
      'lab.ini',
      `# Lab inventory
[web]
web1 ansible_host=10.0.0.1 ansible_port=2222
web2 ansible_host=10.0.0.2

[web:vars]
role=frontend

[db]
db1 ansible_host=10.0.1.1 ansible_user=postgres

[prod:children]
web
db

[prod:vars]
env=prod
ansible_user=deploy
ansible_ssh_private_key_file=${keyA.file}
`,
    );

  it('imports an Ansible INI inventory: groups, vars as labels, host/port/user, its key file', async () => {
    const file = ini();
    const { deps: d, out } = deps();
    const outcome = await importHostsCommand(d, file, {});
    expect(outcome.written).toBe(true);
    expect(out()).toBe(
      '+ web1 (deploy@10.0.0.1:2222) groups: prod,web\n' +
        '+ web2 (deploy@10.0.0.2:22) groups: prod,web\n' +
        '+ db1 (postgres@10.0.1.1:22) groups: db,prod\n' +
        `imported ${file}: 3 added, 0 changed, 0 unchanged\n`,
    );
    const web1 = await runner('web1');
    expect(web1).toMatchObject({
      address: '10.0.0.1',
      port: 2222,
      username: 'deploy',
      groups: ['prod', 'web'],
      labels: { env: 'prod', role: 'frontend' },
      jumpHost: null,
    });
    expect((await runner('db1')).labels).toEqual({ env: 'prod' });
    for (const name of ['web1', 'web2', 'db1']) {
      expect(await secretOf(name)).toEqual({ type: 'privateKey', privateKey: keyA.privateKey });
    }
    // One inline credential per host: each goes when its host goes.
    expect(await counts()).toEqual({ hosts: 3, credentials: 3 });
  });

  it('imports an Ansible YAML inventory, with a jump host from ansible_ssh_common_args', async () => {
    const file = inventory(
      'lab.yml',
      `all:
  vars:
    ansible_user: ops
    ansible_ssh_private_key_file: ${keyB.file}
  children:
    cache:
      vars:
        ansible_ssh_common_args: '-o ProxyJump=jump@bastion.example.net:2200'
      hosts:
        redis1:
          ansible_host: 10.0.2.1
          tier: hot
    monitoring:
      hosts:
        grafana1:
          ansible_port: 3022
`,
    );
    await importHostsCommand(deps().deps, file, {});
    expect(await runner('redis1')).toMatchObject({
      address: '10.0.2.1',
      port: 22,
      username: 'ops',
      groups: ['cache'],
      labels: { tier: 'hot' },
      jumpHost: 'jump@bastion.example.net:2200',
    });
    expect(await runner('grafana1')).toMatchObject({
      address: 'grafana1',
      port: 3022,
      groups: ['monitoring'],
      jumpHost: null,
    });
    expect(await secretOf('grafana1')).toEqual({
      type: 'privateKey',
      privateKey: keyB.privateKey,
    });
  });

  it('imports an ssh_config: HostName, User, ProxyJump, IdentityFile (with %-tokens)', async () => {
    newKey('app1');
    const app2Key = newKey('app2');
    await importHostsCommand(deps().deps, sshConfig(), {});
    expect(await runner('app2')).toMatchObject({
      address: 'app2.internal.example.net',
      port: 22,
      username: 'deploy',
      jumpHost: 'bastion',
      groups: [],
    });
    expect(await secretOf('app2')).toEqual({
      type: 'privateKey',
      privateKey: app2Key.privateKey,
    });
    expect(await runner('bastion')).toMatchObject({ address: '10.9.0.1', username: 'jump' });
    expect(await secretOf('bastion')).toEqual({ type: 'privateKey', privateKey: keyA.privateKey });
  });

  it('dry-runs: prints what would be added, changed or left, and writes nothing', async () => {
    await importHostsCommand(deps().deps, ini(), {});
    await db.sql`update hosts set address = '10.0.0.99', labels = '{"env":"dev"}' where name = 'web2'`;
    const changed = inventory(
      'lab2.ini',
      `[web]
web1 ansible_host=10.0.0.1 ansible_port=2222 ansible_user=deploy role=frontend env=prod
web2 ansible_host=10.0.0.2 ansible_user=deploy role=frontend env=prod
web3 ansible_host=10.0.0.3 ansible_user=deploy
`,
    );
    const before = await db.sql`select * from hosts order by name`;
    const loaded = secretsLoaded;
    const { deps: d, out } = deps();
    const outcome = await importHostsCommand(d, changed, { dryRun: true, keyFile: keyB.file });
    expect(out()).toBe(
      '+ web3 (deploy@10.0.0.3:22) groups: web\n' +
        '~ web1: groups [prod,web] → [web]\n' +
        '~ web2: address 10.0.0.99 → 10.0.0.2; labels {env=dev} → {env=prod,role=frontend}; ' +
        'groups [prod,web] → [web]\n' +
        '1 to add, 2 to change, 0 unchanged\n' +
        'dry run: nothing was written\n',
    );
    expect(outcome.written).toBe(false);
    expect(await db.sql`select * from hosts order by name`).toEqual(before);
    expect(secretsLoaded, 'a dry run does not even load the secret key').toBe(loaded);

    // The same file for real: the changes land, the untouched credential stays.
    const credential = (await runner('web2')).credential?.id;
    await importHostsCommand(deps().deps, changed, { keyFile: keyB.file });
    expect(await runner('web2')).toMatchObject({
      address: '10.0.0.2',
      labels: { env: 'prod', role: 'frontend' },
      groups: ['web'],
    });
    expect((await runner('web2')).credential?.id).toBe(credential);
    expect(await secretOf('web3')).toEqual({ type: 'privateKey', privateKey: keyB.privateKey });
    const again = deps();
    await importHostsCommand(again.deps, changed, {});
    expect(again.out()).toBe(`imported ${changed}: 0 added, 0 changed, 3 unchanged\n`);
  });

  it('refuses an invalid file with its line, and imports nothing', async () => {
    const file = inventory(
      'broken.ini',
      `[web]\nweb1 ansible_host=10.0.0.1\nweb2 ansible_port=70000\n\n[web:vars]\nansible_user=ops\n`,
    );
    const error = await importHostsCommand(deps().deps, file, { agent: true }).catch((e) => e);
    expect(error).toBeInstanceOf(InventoryError);
    expect(error.message).toBe(`${file}:3: ansible_port: port 70000 is out of range`);
    expect(await counts()).toEqual({ hosts: 0, credentials: 0 });
  });

  it('refuses a host it cannot register (no user, unreadable key, bad key) before writing', async () => {
    const noUser = inventory('nouser.ini', '[web]\nweb1 ansible_host=10.0.0.1\n');
    await expect(importHostsCommand(deps().deps, noUser, { agent: true })).rejects.toThrow(
      `${noUser}: web1: the file gives no user for it (ansible_user / User): pass --user`,
    );
    const noKey = inventory('nokey.ini', '[web]\nweb1 ansible_user=ops\n');
    await expect(importHostsCommand(deps().deps, noKey, {})).rejects.toThrow(
      'web1: the file names no key for it: pass --key-file, --agent or --credential',
    );
    const missing = inventory(
      'missing.ini',
      `[web]\nweb1 ansible_user=ops\nweb2 ansible_user=ops ansible_ssh_private_key_file=${dir}/nope\n`,
    );
    await expect(importHostsCommand(deps().deps, missing, { agent: true })).rejects.toThrow(
      `web2: key file ${dir}/nope cannot be read (ENOENT); nothing was imported`,
    );
    const publicKey = inventory('pub.ini', `[web]\nweb1 ansible_user=ops\n`);
    writeFileSync(path.join(dir, 'pub'), ssh2.utils.generateKeyPairSync('ed25519').public);
    await expect(
      importHostsCommand(deps().deps, publicKey, { keyFile: path.join(dir, 'pub') }),
    ).rejects.toThrow('web1: invalid --key-file: this is a public key: give the private key');
    expect(await counts()).toEqual({ hosts: 0, credentials: 0 });
  });

  it('is all or nothing: a failure on the last host rolls back the ones before', async () => {
    // A refusal only the database makes, on the last host written.
    await db.sql.unsafe(`
      create function refuse_boom() returns trigger language plpgsql as $$
      begin raise exception 'boom refused'; end $$;
      create trigger refuse_boom before insert on hosts for each row
        when (new.name = 'zz-boom') execute function refuse_boom();`);
    try {
      const file = inventory(
        'boom.ini',
        '[web]\nweb1 ansible_user=ops\nweb2 ansible_user=ops\nzz-boom ansible_user=ops\n',
      );
      await expect(importHostsCommand(deps().deps, file, { agent: true })).rejects.toThrow(
        'boom refused',
      );
      expect(await counts()).toEqual({ hosts: 0, credentials: 0 });
    } finally {
      await db.sql.unsafe('drop trigger refuse_boom on hosts; drop function refuse_boom()');
    }
  });
});

describe('the hosts commands through bin/hostintel.js', () => {
  it('adds, lists, imports and removes, with exit status 1 and one line on bad input', async () => {
    const add = await runCli(
      ['hosts', 'add', 'web1', '--address', '192.0.2.10', '--user', 'ops', '--key-file', keyA.file],
      env(),
    );
    expect(add, add.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toMatch(/^added web1 \([0-9a-f-]{36}\)\n$/);
    expect(await secretOf('web1')).toEqual({ type: 'privateKey', privateKey: keyA.privateKey });

    newKey('app1');
    newKey('app2');
    const imported = await runCli(['hosts', 'import', sshConfig()], env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('+ app1 (deploy@app1.internal.example.net:22 via bastion)');

    const list = await runCli(['hosts', 'list', '--json'], env());
    const hosts = JSON.parse(list.stdout) as { name: string; jumpHost: string | null }[];
    expect(hosts.map((h) => [h.name, h.jumpHost])).toEqual([
      ['app1', 'bastion'],
      ['app2', 'bastion'],
      ['bastion', null],
      ['web1', null],
    ]);
    expect(list.stdout).not.toContain('PRIVATE KEY');

    const removed = await runCli(['hosts', 'remove', 'web1'], env());
    expect(removed.stdout).toMatch(/^removed web1 /);

    const broken = inventory('broken.yml', 'all:\n  hosts:\n    web1:\n   bad: indent\n');
    for (const [args, line] of [
      [['hosts', 'import', broken], `hostintel: ${broken}:4: invalid YAML`],
      [['hosts', 'remove', 'web1'], 'hostintel: host "web1": no host has this name or id'],
      [['hosts', 'add', 'x', '--user', 'u', '--agent', '--port', 'ssh'], '--port must be'],
      [['hosts', 'import', broken, '--format', 'toml'], '--format must be one of'],
    ] as const) {
      const run = await runCli(args, env());
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toContain(line);
    }
    expect((await counts())?.hosts).toBe(3);
  });
});
