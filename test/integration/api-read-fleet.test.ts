// Fleet questions over HTTP: package hosts with dpkg/rpm version semantics, version spread,
// summary, services, ports and users — on real probes of the dev hosts and crafted facts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import { summarize, UNREACHABLE_AFTER } from '../../http/fleet/summary.ts';
import { applyProbe } from '../../sql/facts.ts';
import { summaryHostRows } from '../../sql/read-fleet-summary.ts';
import { testHost, testHosts } from '../support/env.ts';
import {
  addHost,
  craftedProbe,
  dpkg,
  packagesProbe,
  probeDevHost,
  rpm,
} from './api-read-support.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi();
const ids: Record<string, string> = {};

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  notes?: string[];
}
interface PackageRow {
  hostId: string;
  hostName: string;
  name: string;
  version: string;
  arch: string;
  source: { name: string; version: string } | null;
  manager: string;
}

const get = async <T>(url: string, status = 200): Promise<T> => {
  const res = await api.request('GET', url, { token: api.tokens.viewer });
  expect(res.status, res.text).toBe(status);
  return res.body as T;
};

const pacmanOpenssl: PackageFact = {
  name: 'openssl',
  epoch: null,
  version: '3.1.4',
  release: '1',
  arch: 'x86_64',
  evr: '3.1.4-1',
  source: { name: 'openssl', version: '3.1.4-1' },
  manager: 'pacman',
};

beforeAll(async () => {
  const { sql } = api.db;
  const t = new Date(Date.now() - 60_000);
  ids.deb12 = await addHost(sql, api.secrets, 'deb12', { labels: { env: 'dev' }, groups: ['lab'] });
  ids.deb13 = await addHost(sql, api.secrets, 'deb13', { labels: { env: 'dev' } });
  await probeDevHost(sql, ids.deb12, 'deb12');
  await probeDevHost(sql, ids.deb13, 'deb13');
  const crafted = { labels: { fleet: 'crafted' } };
  const hosts: [string, PackageFact[]][] = [
    ['deb-epoch', dpkg(['openssl', 'amd64', '1:1.0-1', '', ''])],
    ['deb-tilde', dpkg(['openssl', 'amd64', '3.0.11-1~deb12u2', '', ''])],
    ['deb-plain', dpkg(['libssl3', 'amd64', '3.0.11-1', 'openssl', '3.0.11-1'])],
    [
      'rhel',
      rpm(
        ['openssl', '1', '3.0.7', '27.el9', 'x86_64', 'openssl-3.0.7-27.el9.src.rpm'],
        ['openssl-libs', '1', '3.0.7', '27.el9', 'x86_64', 'openssl-3.0.7-27.el9.src.rpm'],
      ),
    ],
    ['arch', [pacmanOpenssl]],
  ];
  for (const [name, packages] of hosts) {
    ids[name] = await addHost(sql, api.secrets, name, crafted);
    await applyProbe(sql, ids[name], packagesProbe(t, packages));
  }
  ids.down = await addHost(sql, api.secrets, 'down', crafted);
  for (let i = 5; i >= 1; i--) {
    const at = new Date(Date.now() - i * 60_000);
    await applyProbe(sql, ids.down, craftedProbe(at, {}, 'failed'));
  }
  ids.never = await addHost(sql, api.secrets, 'never', crafted);
  // Last seen ok three hours ago, with hourly facts: stale (older than twice the interval).
  ids.stale = await addHost(sql, api.secrets, 'stale', { ...crafted, factsIntervalS: 3600 });
  await applyProbe(sql, ids.stale, craftedProbe(new Date(Date.now() - 3 * 3600_000), {}));
}, 60_000);

const openssl = async (filter: string) => {
  const page = await get<Page<PackageRow>>(
    `/v1/packages/openssl/hosts?label=fleet:crafted${filter}`,
  );
  return page;
};
const hostsOf = (page: Page<PackageRow>) => page.items.map((r) => `${r.hostName}/${r.name}`);

describe('GET /v1/packages/{name}/hosts', () => {
  it('finds a package by binary or source name, with each host’s own version', async () => {
    const page = await openssl('');
    expect(hostsOf(page)).toEqual([
      'arch/openssl',
      'deb-epoch/openssl',
      'deb-plain/libssl3',
      'deb-tilde/openssl',
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
    expect(page.notes).toEqual([]);
    const rhel = page.items.find((r) => r.hostName === 'rhel' && r.name === 'openssl');
    expect(rhel).toEqual({
      hostId: ids.rhel,
      hostName: 'rhel',
      name: 'openssl',
      version: '1:3.0.7-27.el9',
      arch: 'x86_64',
      source: { name: 'openssl', version: '3.0.7-27.el9' },
      manager: 'rpm',
      since: expect.any(String),
    });
    const plain = page.items.find((r) => r.hostName === 'deb-plain');
    expect(plain?.source).toEqual({ name: 'openssl', version: '3.0.11-1' });
  });

  it('compares with dpkg semantics: ~ sorts before the release, epochs win', async () => {
    expect(hostsOf(await openssl('&versionLt=3.0.11-1'))).toEqual(['deb-tilde/openssl']);
    expect(hostsOf(await openssl('&versionEq=0:3.0.11-1'))).toEqual(['deb-plain/libssl3']);
    expect(hostsOf(await openssl('&versionGe=1:0'))).toEqual([
      'deb-epoch/openssl',
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
    expect(
      hostsOf(await openssl('&versionGt=3.0.11-1~deb12u1&versionLt=3.0.11-1~deb12u3')),
    ).toEqual(['deb-tilde/openssl']);
    expect(hostsOf(await openssl('&versionLe=3.0.11-1'))).toEqual([
      'deb-plain/libssl3',
      'deb-tilde/openssl',
    ]);
  });

  it('compares with rpm semantics: epoch, then version, then release', async () => {
    // Every deb row is older too: epoch 0 (or 1:1.0) against 1:3.0.7.
    const debs = ['deb-epoch/openssl', 'deb-plain/libssl3', 'deb-tilde/openssl'];
    expect(hostsOf(await openssl('&versionLt=1:3.0.7-28.el9'))).toEqual([
      ...debs,
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
    expect(hostsOf(await openssl('&versionLt=1:3.0.7-27.el9'))).toEqual(debs);
    expect(hostsOf(await openssl('&versionGt=1:3.0.7-9.el9'))).toEqual([
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
    expect(hostsOf(await openssl('&versionEq=1:3.0.7-27.el9'))).toEqual([
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
    // Without an epoch the rpm package (epoch 1) is newer than anything at epoch 0.
    expect(hostsOf(await openssl('&versionGt=3.0.11-1'))).toEqual([
      'deb-epoch/openssl',
      'rhel/openssl-libs',
      'rhel/openssl',
    ]);
  });

  it('leaves pacman rows out of version-filtered answers, with a note', async () => {
    const page = await openssl('&versionGe=0');
    expect(hostsOf(page)).not.toContain('arch/openssl');
    expect(page.notes).toEqual(['1 pacman package(s) left out: pacman versions are not compared']);
  });

  it('excludes a scheme that cannot read the filter, and 400s when none can', async () => {
    // "abc" is a valid rpm version but not a deb one (no leading digit).
    const page = await openssl('&versionGt=abc');
    expect(hostsOf(page)).toEqual(['rhel/openssl-libs', 'rhel/openssl']);
    expect(page.notes).toContain(
      'deb packages left out: invalid deb version "abc": version number does not start with digit',
    );
    const bad = await get<ProblemBody>(
      '/v1/packages/openssl/hosts?label=fleet:crafted&versionLt=1.0-',
      400,
    );
    expect(bad.type).toBe('https://hostintel.dev/problems/invalid-parameter');
    expect(bad.detail).toContain('invalid deb version "1.0-": revision number is empty');
    expect(bad.detail).toContain('invalid rpm version "1.0-": release is empty');
  });

  it('pages by host name without skips or duplicates; bad cursors are 400', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page: Page<PackageRow> = await openssl(`&limit=2${q}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...hostsOf(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(hostsOf(await openssl('')));
    const bad = await get<ProblemBody>('/v1/packages/openssl/hosts?cursor=bm9wZQ', 400);
    expect(bad.type).toBe('https://hostintel.dev/problems/invalid-cursor');
  });

  it('answers what dpkg itself says is installed on the real dev hosts', async () => {
    const page = await get<Page<PackageRow>>('/v1/packages/bash/hosts?label=env:dev');
    const version = (root: string) =>
      execFileSync('dpkg-query', [
        `--admindir=${path.join(root, 'var/lib/dpkg')}`,
        '-W',
        '-f',
        '${Version}',
        'bash',
      ]).toString();
    expect(page.items.map((r) => [r.hostName, r.name, r.version, r.manager])).toEqual([
      ['deb12', 'bash', version(testHost('deb12').root), 'dpkg'],
      ['deb13', 'bash', version(testHost('deb13').root), 'dpkg'],
    ]);
    const lab = await get<Page<PackageRow>>('/v1/packages/bash/hosts?group=lab');
    expect(lab.items.map((r) => r.hostName)).toEqual(['deb12']);
  });
});

describe('GET /v1/fleet/packages/{name}/versions', () => {
  it('counts hosts per version, newest first within each manager', async () => {
    const page = await get<Page<unknown>>(
      '/v1/fleet/packages/openssl/versions?label=fleet:crafted',
    );
    expect(page).toEqual({
      items: [
        { manager: 'dpkg', version: '1:1.0-1', hosts: 1, names: ['openssl'] },
        { manager: 'dpkg', version: '3.0.11-1', hosts: 1, names: ['libssl3'] },
        { manager: 'dpkg', version: '3.0.11-1~deb12u2', hosts: 1, names: ['openssl'] },
        { manager: 'pacman', version: '3.1.4-1', hosts: 1, names: ['openssl'] },
        { manager: 'rpm', version: '1:3.0.7-27.el9', hosts: 1, names: ['openssl', 'openssl-libs'] },
      ],
      nextCursor: null,
    });
  });
});

describe('GET /v1/fleet/summary', () => {
  it('counts OS, kernels, reachability, collector coverage and reboots', async () => {
    const all = await get<{
      hosts: number;
      os: { id: string | null; versionId: string | null; hosts: number }[];
      reachability: Record<string, number>;
      collectors: { name: string; ok: number; hosts: number }[];
      rebootRequired: number;
    }>('/v1/fleet/summary');
    expect(all.hosts).toBe(10);
    // deb12, deb13 and the 5 package-only hosts probed a minute ago; down failed 5 times.
    expect(all.reachability).toEqual({ ok: 7, stale: 1, unreachable: 1, neverProbed: 1 });
    const pending = ['deb12', 'deb13'].filter((name) =>
      existsSync(path.join(testHost(name).root, 'var/run/reboot-required')),
    );
    expect(all.rebootRequired).toBe(pending.length);
    expect(all.os).toContainEqual({ id: 'debian', versionId: '12', hosts: 1 });
    expect(all.os).toContainEqual({ id: 'debian', versionId: '13', hosts: 1 });
    expect(all.os).toContainEqual({ id: null, versionId: null, hosts: 8 });
    const packages = all.collectors.find((c) => c.name === 'packages');
    expect(packages).toEqual({ name: 'packages', ok: 7, hosts: 7 });
    const dev = await get<typeof all>('/v1/fleet/summary?label=env:dev');
    expect(dev.hosts).toBe(2);
    expect(dev.reachability).toEqual({ ok: 2, stale: 0, unreachable: 0, neverProbed: 0 });
    expect(dev.collectors.find((c) => c.name === 'os')).toEqual({ name: 'os', ok: 2, hosts: 2 });
  });

  it('counts in SQL exactly what the per-host rows give (the console’s summary)', async () => {
    for (const [query, filter] of [
      ['', {}],
      ['?label=fleet:crafted', { labels: [['fleet', 'crafted']] as [string, string][] }],
    ] as const) {
      const answer = await get<unknown>(`/v1/fleet/summary${query}`);
      const rows = await summaryHostRows(api.db.sql, filter, UNREACHABLE_AFTER);
      expect(answer).toEqual(summarize(rows, new Date()));
    }
  });
});

describe('services, ports and users', () => {
  it('finds the hosts with a user account', async () => {
    const page =
      await get<Page<{ hostName: string; key: string; value: { uid: number } }>>(
        '/v1/users/hiprobe/hosts',
      );
    expect(page.items.map((r) => [r.hostName, r.key])).toEqual([
      ['deb12', 'hiprobe'],
      ['deb13', 'hiprobe'],
    ]);
    const none = await get<Page<unknown>>('/v1/users/hiprobe/hosts?label=fleet:crafted');
    expect(none.items).toEqual([]);
  });

  it('finds the hosts listening on a port, by protocol', async () => {
    const page = await get<Page<{ hostName: string; key: string; value: { port: number } }>>(
      '/v1/ports/22/hosts?protocol=tcp&group=lab',
    );
    // The dev sshd hosts share one network namespace: each sees every dev sshd listener.
    const sshd = testHosts()
      .filter((h) => h.port === 22)
      .map((h) => `tcp/${h.address}/22`)
      .sort();
    expect(page.items.map((r) => [r.hostName, r.key])).toEqual(sshd.map((key) => ['deb12', key]));
    for (const r of page.items) expect(r.value).toMatchObject({ port: 22, protocol: 'tcp' });
    const udp = await get<Page<unknown>>('/v1/ports/22/hosts?protocol=udp');
    expect(udp.items).toEqual([]);
    await get<ProblemBody>('/v1/ports/70000/hosts', 404);
    await get<ProblemBody>('/v1/ports/22/hosts?protocol=sctp', 400);
  });

  it('finds services by unit name and state', async () => {
    type Row = { hostName: string; key: string; value: { enabled: string | null } };
    const page = await get<Page<Row>>('/v1/services/ssh/hosts?label=env:dev');
    const withSsh = ['deb12', 'deb13'].filter((name) =>
      existsSync(path.join(testHost(name).root, 'etc/init.d/ssh')),
    );
    expect(withSsh).toContain('deb12');
    expect(page.items.map((r) => r.hostName)).toEqual(withSsh);
    for (const r of page.items) expect(['ssh', 'ssh.service']).toContain(r.key);
    const enabled = await get<Page<Row>>('/v1/services/ssh/hosts?label=env:dev&enabled=enabled');
    expect(enabled.items).toEqual(page.items.filter((r) => r.value.enabled === 'enabled'));
    expect(enabled.items.map((r) => r.hostName)).toContain('deb12');
    const none = await get<Page<Row>>('/v1/services/ssh/hosts?enabled=masked');
    expect(none.items).toEqual([]);
    const bad = await get<ProblemBody>('/v1/services/ssh/hosts?cursor=bm9wZQ', 400);
    expect(bad.type).toBe('https://hostintel.dev/problems/invalid-cursor');
  });
});
