// `hostintel probe --all` against the real dev sshd hosts: every enabled host probed once,
// the results stored like the runner stores them, progress on stderr, exit 1 on a failure.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeFleet } from '../../cli/hosts-probe.ts';
import { createSql } from '../../sql/client.ts';
import { registerHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { useTestDatabase } from '../support/db.ts';
import { registerDevHost, testHosts } from '../support/env.ts';
import { memoryIo } from '../unit/cli/memory-io.ts';
import { runCli } from '../unit/cli/run-cli.ts';

const db = useTestDatabase();
const secretKey = randomBytes(32).toString('base64');
const box = createSecretBox(Buffer.from(secretKey, 'base64'));
const dev = testHosts();
const ids: Record<string, string> = {};

beforeAll(async () => {
  for (const host of dev) {
    const row = await registerDevHost(db.sql, box, host.name, host, {
      sudo: host.sudo,
      groups: ['lab'],
    });
    ids[host.name] = row.id;
  }
  const key = readFileSync(dev[0]?.privateKeyPath ?? '', 'utf8');
  // Nothing listens on 127.0.0.9:2: refused at once, on loopback.
  ids.dead = (
    await registerHost(db.sql, box, {
      name: 'dead',
      address: '127.0.0.9',
      port: 2,
      username: 'nobody',
      credential: { secret: { type: 'privateKey', privateKey: key } },
    })
  ).id;
  ids.paused = (
    await registerHost(db.sql, box, {
      name: 'paused',
      address: '127.0.0.9',
      port: 2,
      username: 'nobody',
      enabled: false,
      credential: { secret: { type: 'agent' } },
    })
  ).id;
}, 60_000);

describe('probeFleet', () => {
  it('probes every enabled host once, stores facts and probe records, reports the failure', async () => {
    const io = memoryIo();
    const result = await probeFleet(
      { sql: db.sql, secrets: box, io: io.io },
      { concurrency: 8, perGroup: 2 },
    );
    expect(result.hosts.map((h) => h.name)).toEqual(['dead', ...dev.map((h) => h.name)].sort());
    expect(result.failed).toBe(1);
    expect(result.ok).toBe(dev.length);
    const dead = result.hosts.find((h) => h.name === 'dead');
    expect(dead).toMatchObject({ outcome: 'failed' });
    expect(dead?.error).toContain('ECONNREFUSED');
    for (const host of result.hosts.filter((h) => h.name !== 'dead')) {
      expect(['ok', 'partial'], `${host.name}: ${host.error}`).toContain(host.outcome);
    }

    // Stored as the runner stores a probe: the probe log, and the os fact of each dev host.
    const probes = await db.sql<{ host_id: string; status: string; reason: string }[]>`
      select host_id, status, reason from intel_probes`;
    expect(probes).toHaveLength(dev.length + 1);
    expect(probes.find((p) => p.host_id === ids.dead)).toMatchObject({
      status: 'failed',
      reason: 'manual',
    });
    expect(probes.some((p) => p.host_id === ids.paused)).toBe(false);
    for (const host of dev) {
      const release = readFileSync(path.join(host.root, 'etc/os-release'), 'utf8');
      const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(release)?.[1];
      const [os] = await db.sql<{ value: { versionId: string } }[]>`
        select value from host_facts
        where host_id = ${ids[host.name] ?? ''} and kind = 'os' and valid_to is null`;
      expect(os?.value.versionId, host.name).toBe(versionId);
    }

    const stderr = io.err().split('\n');
    expect(stderr[0]).toMatch(/^dead: failed: cannot connect to 127\.0\.0\.9:2: .*ECONNREFUSED/);
    expect(stderr.at(-2)).toMatch(
      new RegExp(`^probed ${dev.length + 1} hosts in [\\d.]+ s: ${dev.length} ok.*, 1 failed$`),
    );
    expect(io.out()).toBe('');
  });

  it('prints the results as JSON when asked, and refuses a pool too small to hold a probe', async () => {
    const io = memoryIo();
    await probeFleet(
      { sql: db.sql, secrets: box, io: io.io },
      { concurrency: 1, perGroup: 1, collectors: ['os'], json: true },
    );
    const json = JSON.parse(io.out()) as { name: string; outcome: string }[];
    expect(json.map((h) => h.name)).toEqual(['dead', ...dev.map((h) => h.name)].sort());
    const one = createSql(db.url, { max: 1 });
    try {
      await expect(
        probeFleet({ sql: one, secrets: box, io: memoryIo().io }, { concurrency: 4, perGroup: 4 }),
      ).rejects.toThrow('needs a database pool of 2 connections or more');
    } finally {
      await one.end();
    }
  });
});

describe('probe --all through bin/hostintel.js', () => {
  const env = () => ({
    DATABASE_URL: db.url,
    HOSTINTEL_SECRET_KEY: secretKey,
    HOSTINTEL_DATA_DIR: '/nonexistent/hostintel-data',
  });

  it('exits 1 when a host failed and 0 when none did; progress and summary on stderr', async () => {
    const failing = await runCli(['probe', '--all', '--concurrency', '2'], env());
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toBe('');
    expect(failing.stderr).toMatch(/^dead: failed: cannot connect to 127\.0\.0\.9:2/m);
    expect(failing.stderr).toMatch(/^probed 4 hosts in .*: 3 ok.*, 1 failed$/m);

    await db.sql`update hosts set enabled = false where id = ${ids.dead ?? ''}`;
    const passing = await runCli(['probe', '--all', '--json', '--collectors', 'os'], env());
    expect(passing.code, passing.stderr).toBe(0);
    expect((JSON.parse(passing.stdout) as { name: string }[]).map((h) => h.name)).toEqual(
      dev.map((h) => h.name).sort(),
    );

    const bad = await runCli(['probe', '--all', '--sudo'], env());
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe(
      "hostintel: --sudo: only with a destination (--all uses each host's own settings)\n",
    );
  });
});
