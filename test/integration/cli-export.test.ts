// `hostintel export` on a real database: the dev host really probed, and a host whose
// packages changed between two probes (so "as of" has something to show).
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../../cli/export.ts';
import { PACKAGE_CSV_COLUMNS } from '../../cli/export/host-export.ts';
import { applyProbe } from '../../sql/facts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { useTestDatabase } from '../support/db.ts';
import { testHost } from '../support/env.ts';
import { memoryIo } from '../unit/cli/memory-io.ts';
import { runCli } from '../unit/cli/run-cli.ts';
import { addHost, dpkg, packagesProbe, probeDevHost } from './api-read-support.ts';

const db = useTestDatabase();
const box = createSecretBox(Buffer.alloc(32, 7));
const dir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-cli-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// After the hosts are registered: an inventory as of an instant lists the hosts that existed.
const t0 = new Date(Date.now() + 60_000);
const t1 = new Date(Date.now() + 120_000);
const between = new Date((t0.getTime() + t1.getTime()) / 2);
const ids: Record<string, string> = {};

interface JsonExport {
  asOf: string;
  hosts: {
    id: string;
    name: string;
    labels: Record<string, string>;
    facts: { os?: { id: string; versionId: string }; packages?: { name: string; evr: string }[] };
  }[];
}

async function run(options: Parameters<typeof exportCommand>[1]) {
  const io = memoryIo();
  const summary = await exportCommand({ sql: db.sql, io: io.io }, options);
  return { summary, out: io.out(), err: io.err() };
}

const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

async function packageFactCount(hostId: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from host_facts
    where host_id = ${hostId} and kind = 'package' and valid_to is null`;
  return row?.n ?? 0;
}

beforeAll(async () => {
  ids.deb12 = await addHost(db.sql, box, 'deb12', { labels: { env: 'dev' } });
  await probeDevHost(db.sql, ids.deb12, 'deb12');
  ids.history = await addHost(db.sql, box, 'history');
  await applyProbe(
    db.sql,
    ids.history,
    packagesProbe(
      t0,
      dpkg(
        ['openssl', 'amd64', '3.0.11-1~deb12u1', '', ''],
        ['curl', 'amd64', '7.88.1-10+deb12u5', '', ''],
      ),
    ),
  );
  await applyProbe(
    db.sql,
    ids.history,
    packagesProbe(
      t1,
      dpkg(
        ['openssl', 'amd64', '3.0.11-1~deb12u2', '', ''],
        ['zlib1g', 'amd64', '1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'],
      ),
    ),
  );
}, 60_000);

describe('export --format json', () => {
  it('writes the fleet now: every host with its facts by kind', async () => {
    const { out, summary } = await run({ format: 'json' });
    const doc = JSON.parse(out) as JsonExport;
    expect(summary).toEqual({ hosts: 2, files: [] });
    expect(doc.hosts.map((h) => h.name)).toEqual(['deb12', 'history']);
    const [deb12, history] = doc.hosts;
    const release = readFileSync(path.join(testHost('deb12').root, 'etc/os-release'), 'utf8');
    const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(release)?.[1];
    expect(deb12?.facts.os).toMatchObject({ id: 'debian', versionId });
    expect(deb12?.facts.packages).toHaveLength(await packageFactCount(ids.deb12 ?? ''));
    expect(deb12?.labels).toEqual({ env: 'dev' });
    expect(history?.facts.packages?.map((p) => `${p.name} ${p.evr}`)).toEqual([
      'openssl 3.0.11-1~deb12u2',
      'zlib1g 1:1.2.13.dfsg-1',
    ]);
  });

  it('writes one host as it was as of an instant', async () => {
    const { out } = await run({ format: 'json', host: 'history', asOf: between.toISOString() });
    const doc = JSON.parse(out) as JsonExport;
    expect(doc.asOf).toBe(between.toISOString());
    expect(doc.hosts.map((h) => h.name)).toEqual(['history']);
    expect(doc.hosts[0]?.facts.packages?.map((p) => `${p.name} ${p.evr}`)).toEqual([
      'curl 7.88.1-10+deb12u5',
      'openssl 3.0.11-1~deb12u1',
    ]);
  });

  it('lists no host as of a time before any was registered', async () => {
    const { out } = await run({ format: 'json', asOf: '2001-01-01' });
    expect(JSON.parse(out)).toMatchObject({ asOf: '2001-01-01T00:00:00.000Z', hosts: [] });
  });
});

describe('export --format csv', () => {
  it('writes the fleet into a file: one row per package, led by the host', async () => {
    const file = path.join(dir, 'fleet.csv');
    const { summary, err } = await run({ format: 'csv', output: file });
    expect(summary).toEqual({ hosts: 2, files: [file] });
    expect(err).toBe(`wrote 2 hosts to ${file}\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const lines = readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(PACKAGE_CSV_COLUMNS.join(','));
    const deb12Rows = lines.filter((l) => l.startsWith('deb12,'));
    expect(deb12Rows).toHaveLength(await packageFactCount(ids.deb12 ?? ''));
    expect(lines.filter((l) => l.startsWith('history,'))).toEqual([
      `history,${ids.history},192.0.2.10,,,,,openssl,3.0.11-1~deb12u2,,1~deb12u2,amd64,dpkg,,,` +
        'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64',
      `history,${ids.history},192.0.2.10,,,,,zlib1g,1:1.2.13.dfsg-1,1,1,amd64,dpkg,zlib,` +
        '1:1.2.13.dfsg-1,pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64',
    ]);
  });

  it('writes one host as of an instant', async () => {
    const { out } = await run({ format: 'csv', host: ids.history, asOf: between.toISOString() });
    expect(
      out
        .split('\r\n')
        .filter((l) => l.startsWith('history,'))
        .map((l) => l.split(',')[7]),
    ).toEqual(['curl', 'openssl']);
  });
});

describe('export --format cyclonedx', () => {
  it('writes one host’s BOM, valid CycloneDX 1.6, one component per package', async () => {
    const { out } = await run({ format: 'cyclonedx', host: 'deb12' });
    expect(await validator.validate(out)).toBeNull();
    const bom = JSON.parse(out) as {
      metadata: { component: { name: string } };
      components: { type: string; name: string; purl?: string }[];
    };
    expect(bom.metadata.component.name).toBe('deb12');
    expect(bom.components[0]).toMatchObject({ type: 'operating-system', name: 'debian' });
    const libraries = bom.components.filter((c) => c.type === 'library');
    expect(libraries).toHaveLength(await packageFactCount(ids.deb12 ?? ''));
    expect(libraries.every((c) => c.purl?.startsWith('pkg:deb/debian/'))).toBe(true);
  });

  it('describes the packages of the instant asked for', async () => {
    const { out } = await run({
      format: 'cyclonedx',
      host: 'history',
      asOf: between.toISOString(),
    });
    expect(await validator.validate(out)).toBeNull();
    const bom = JSON.parse(out) as { components: { purl?: string }[] };
    expect(bom.components.map((c) => c.purl)).toEqual([
      'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64',
      'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64',
    ]);
  });

  it('writes one BOM per host into a directory for the fleet, and refuses stdout', async () => {
    const boms = path.join(dir, 'boms');
    const { summary, err } = await run({ format: 'cyclonedx', output: boms });
    expect(err).toBe(`wrote 2 CycloneDX BOMs to ${boms}\n`);
    expect(readdirSync(boms).sort()).toEqual(['deb12.cdx.json', 'history.cdx.json']);
    expect(summary.files).toHaveLength(2);
    for (const file of summary.files) {
      expect(await validator.validate(readFileSync(file, 'utf8')), file).toBeNull();
    }
    await expect(run({ format: 'cyclonedx' })).rejects.toThrow(
      'a CycloneDX BOM describes one host: give --host, or --output <directory>',
    );
  });
});

describe('bad input', () => {
  it('is one line naming the option', async () => {
    await expect(run({ format: 'json', host: 'nope' })).rejects.toThrow(
      '--host "nope": no host has this name or id',
    );
    await expect(run({ format: 'pdf' })).rejects.toThrow('--format must be one of');
    await expect(run({ format: 'csv', asOf: 'last tuesday' })).rejects.toThrow(
      '--as-of must be an instant',
    );
    await expect(run({ format: 'csv', output: dir })).rejects.toThrow(
      `--output ${dir} is a directory: name a file`,
    );
  });
});

describe('export through bin/hostintel.js', () => {
  const env = () => ({ DATABASE_URL: db.url, HOSTINTEL_DATA_DIR: path.join(dir, 'data') });

  it('writes JSON as of an instant, and exits 1 with one line on bad input', async () => {
    const ok = await runCli(
      ['export', '--format', 'json', '--host', 'history', '--as-of', between.toISOString()],
      env(),
    );
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout) as JsonExport;
    expect(doc.hosts[0]?.facts.packages?.map((p) => p.name)).toEqual(['curl', 'openssl']);

    const file = path.join(dir, 'history.cdx.json');
    const bom = await runCli(
      ['export', '--format', 'cyclonedx', '--host', 'history', '--output', file],
      env(),
    );
    expect(bom.code, bom.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(await validator.validate(readFileSync(file, 'utf8'))).toBeNull();

    const bad = await runCli(['export', '--format', 'cyclonedx'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'hostintel: a CycloneDX BOM describes one host: give --host, or --output <directory> ' +
        'for one file per host\n',
    );
  });
});
