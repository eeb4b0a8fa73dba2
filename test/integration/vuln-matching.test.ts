// Matching hosts to advisories: boundaries at exactly the fixed version and one below, with
// and without epochs, binary vs source names, kernels running or not; as-of queries and
// exposure windows over a sequence of probes that upgrade a package; the HTTP answers.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyProbe } from '../../sql/facts.ts';
import { getAdvisories } from '../../sql/advisories.ts';
import {
  advisoryMatches,
  correlate,
  exposureWindows,
  type HostAdvisoryMatch,
} from '../../vuln/correlate.ts';
import { fleetVulnerabilityCounts } from '../../vuln/fleet-correlation.ts';
import { importOsvJson, importOsvPath } from '../../vuln/import.ts';
import { useApi } from './api-support.ts';
import { createHost, deb, type Os, type Pkg, probeResult, rpm } from './vuln-support.ts';

const OSV_DIR = path.resolve(import.meta.dirname, '../../../shared/fixtures/osv');

const T0 = new Date('2026-10-01T00:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

const api = useApi();
const hosts: Record<string, string> = {};

async function host(name: string, os: Os, packages: readonly Pkg[], at = day(0)) {
  const id = await createHost(api.db.sql, name);
  hosts[name] = id;
  await applyProbe(api.db.sql, id, probeResult(at, os, packages));
  return id;
}

const alma8 = { id: 'almalinux', versionId: '8.10', kernelRelease: '4.18.0-553.el8_10.x86_64' };
const ubuntu2204 = { id: 'ubuntu', versionId: '22.04' };
const ubuntu1804 = { id: 'ubuntu', versionId: '18.04' };
const debian12 = { id: 'debian', versionId: '12' };

/** The advisories matched for a host now, by id. */
async function matched(name: string, asOf?: Date) {
  const { matches } = await correlate(api.db.sql, {
    hostIds: [hosts[name] ?? ''],
    ...(asOf ? { asOf } : {}),
  });
  return matches.map((m) => m.advisoryId).sort();
}

beforeAll(async () => {
  expect((await importOsvPath(api.db.sql, OSV_DIR)).errors).toEqual([]);
  // ALSA-2026:38503 fixes openssl-libs at 1:1.1.1k-17.el8_6 (epoch 1).
  await host('alma-below', alma8, [rpm('openssl-libs', 1, '1.1.1k', '16.el8_6')]);
  await host('alma-fixed', alma8, [rpm('openssl-libs', 1, '1.1.1k', '17.el8_6')]);
  await host('alma-newer', alma8, [rpm('openssl-libs', 1, '1.1.1k', '18.el8_6')]);
  // No epoch is epoch 0, older than the epoch-1 fix: dnf would upgrade it.
  await host('alma-no-epoch', alma8, [rpm('openssl-libs', null, '1.1.1k', '17.el8_6')]);
  // The binary name is what AlmaLinux advisories use: a source rpm named openssl is not it.
  await host('alma-other-binary', alma8, [
    { ...rpm('openssl-perl', 1, '1.1.1k', '16.el8_6'), source: { name: 'openssl', version: '1' } },
  ]);
  // USN-5614-1 (Ubuntu:22.04:LTS) names the SOURCE package wayland, fixed 1.20.0-1ubuntu0.1.
  await host('jammy-below', ubuntu2204, [
    deb('libwayland-client0', '1.20.0-1', 'wayland'),
    deb('libwayland-server0', '1.20.0-1', 'wayland'),
  ]);
  await host('jammy-fixed', ubuntu2204, [
    deb('libwayland-client0', '1.20.0-1ubuntu0.1', 'wayland'),
  ]);
  // A binary called wayland built from another source is not the advisory's package.
  await host('jammy-binary-name', ubuntu2204, [deb('wayland', '1.0-1', 'not-wayland')]);
  // The right version on the wrong release: USN-5614-1's 18.04 fix is another version.
  await host('bionic-fixed', ubuntu1804, [
    deb('libwayland-client0', '1.16.0-1ubuntu1.1~18.04.4', 'wayland'),
  ]);
  await host('bionic-below', ubuntu1804, [
    deb('libwayland-client0', '1.16.0-1ubuntu1.1~18.04.3', 'wayland'),
  ]);
  // UBUNTU-CVE-2022-24823: netty on Ubuntu:Pro:18.04:LTS fixed 1:4.1.7-4ubuntu0.1+esm3 (epoch 1).
  await host('bionic-netty-no-epoch', ubuntu1804, [deb('libnetty-java', '4.1.48-1', 'netty')]);
  await host('bionic-netty-fixed', ubuntu1804, [
    deb('libnetty-java', '1:4.1.7-4ubuntu0.1+esm3', 'netty'),
  ]);
  // A binNMU: the binary carries +b1, the source version is what the advisory speaks of.
  await importOsvJson(api.db.sql, {
    id: 'TEST-DEB-BINNMU',
    modified: '2026-09-01T00:00:00Z',
    published: '2026-09-01T00:00:00Z',
    aliases: ['CVE-2099-1000'],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'libfoo' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-3+b1' }] }],
      },
    ],
  });
  await host('bookworm-binnmu', debian12, [deb('libfoo1', '1.2-3+b1', 'libfoo', '1.2-3')]);
});

describe('version boundaries', () => {
  it('rpm with epochs: one below the fix is affected, the fix and above are not', async () => {
    expect(await matched('alma-below')).toEqual(['ALSA-2026:38503']);
    expect(await matched('alma-fixed')).toEqual([]);
    expect(await matched('alma-newer')).toEqual([]);
    expect(await matched('alma-no-epoch')).toEqual(['ALSA-2026:38503']);
    expect(await matched('alma-other-binary')).toEqual(['ALSA-2026:38503']);
  });

  it('Ubuntu advisories match source names, per release, at exactly the fixed version', async () => {
    expect(await matched('jammy-below')).toEqual(['UBUNTU-CVE-2021-3782', 'USN-5614-1']);
    expect(await matched('jammy-fixed')).toEqual([]);
    expect(await matched('jammy-binary-name')).toEqual([]);
    expect(await matched('bionic-fixed')).toEqual([]);
    expect(await matched('bionic-below')).toEqual(['UBUNTU-CVE-2021-3782', 'USN-5614-1']);
  });

  it('a deb version without an epoch is older than an epoch-1 fix', async () => {
    expect(await matched('bionic-netty-no-epoch')).toEqual(['UBUNTU-CVE-2022-24823']);
    expect(await matched('bionic-netty-fixed')).toEqual([]);
  });

  it('compares the source version, not the binNMU binary version', async () => {
    const { matches } = await correlate(api.db.sql, { hostIds: [hosts['bookworm-binnmu'] ?? ''] });
    expect(matches.map((m) => m.advisoryId)).toEqual(['TEST-DEB-BINNMU']);
    expect(matches[0]?.packages[0]).toMatchObject({ evr: '1.2-3+b1', comparedVersion: '1.2-3' });
  });

  it('never matches a withdrawn advisory', async () => {
    await importOsvJson(api.db.sql, {
      id: 'TEST-WITHDRAWN',
      modified: '2026-09-02T00:00:00Z',
      withdrawn: '2026-09-02T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'libfoo' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    });
    expect(await matched('bookworm-binnmu')).toEqual(['TEST-DEB-BINNMU']);
  });

  it('groups the binaries of one source package under one match', async () => {
    const { matches } = await correlate(api.db.sql, {
      hostIds: [hosts['jammy-below'] ?? ''],
      advisoryIds: ['USN-5614-1'],
    });
    expect(matches).toHaveLength(1);
    expect(matches[0]?.ecosystem).toBe('Ubuntu:22.04:LTS');
    expect(matches[0]?.packages.map((p) => p.name)).toEqual([
      'libwayland-client0',
      'libwayland-server0',
    ]);
  });
});

describe('kernels', () => {
  // ALSA-2026:A006 fixes kernel-core at 6.12.0-124.55.3.el10_1.
  const alma10 = (running: string) => ({
    id: 'almalinux',
    versionId: '10.0',
    kernelRelease: running,
  });
  const kernels = [
    rpm('kernel-core', null, '6.12.0', '124.40.1.el10_1'),
    rpm('kernel-core', null, '6.12.0', '124.55.3.el10_1'),
  ];

  it('flags a vulnerable kernel that is installed but not running', async () => {
    await host('alma10-rebooted', alma10('6.12.0-124.55.3.el10_1.x86_64'), kernels);
    const { matches } = await correlate(api.db.sql, { hostIds: [hosts['alma10-rebooted'] ?? ''] });
    expect(matches.map((m) => m.advisoryId)).toEqual(['ALSA-2026:A006']);
    expect(matches[0]?.notRunningKernelOnly).toBe(true);
    expect(matches[0]?.packages.map((p) => [p.evr, p.kernel])).toEqual([
      ['6.12.0-124.40.1.el10_1', 'not-running'],
    ]);
  });

  it('reports the running vulnerable kernel as running', async () => {
    await host('alma10-not-rebooted', alma10('6.12.0-124.40.1.el10_1.x86_64'), kernels);
    const { matches } = await correlate(api.db.sql, {
      hostIds: [hosts['alma10-not-rebooted'] ?? ''],
    });
    expect(matches[0]?.notRunningKernelOnly).toBe(false);
    expect(matches[0]?.packages.map((p) => p.kernel)).toEqual(['running']);
  });
});

describe('exposure windows across probes that upgrade a package', () => {
  const advisory = {
    id: 'TEST-WINDOW-1',
    modified: '2026-10-01T00:00:00Z',
    published: day(3).toISOString(),
    aliases: ['CVE-2099-2000'],
    database_specific: { severity: 'High' },
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'zlib' },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-2' }] },
        ],
      },
    ],
  };
  const zlib = (v: string) => [deb('zlib1g', v, 'zlib'), deb('unrelated', '1.0-1', 'unrelated')];
  const steps: [number, Pkg[]][] = [
    [0, zlib('1:1.2.13.dfsg-1')], // vulnerable
    [2, zlib('1:1.2.13.dfsg-1+b1')], // a binNMU: still the same vulnerable source
    [5, zlib('1:1.2.13.dfsg-2')], // fixed
    [7, zlib('1:1.2.13.dfsg-1')], // downgraded: affected again
    [9, [deb('unrelated', '1.0-1', 'unrelated')]], // removed
  ];

  beforeAll(async () => {
    expect((await importOsvJson(api.db.sql, advisory)).imported).toBe(1);
    const id = await createHost(api.db.sql, 'bookworm-history');
    hosts['bookworm-history'] = id;
    for (const [d, packages] of steps) {
      // binNMU: the source version stays the same while the binary changes.
      const fixed = packages.map((p) =>
        p.name === 'zlib1g' && p.source
          ? { ...p, source: { ...p.source, version: p.evr.replace(/\+b1$/, '') } }
          : p,
      );
      await applyProbe(api.db.sql, id, probeResult(day(d), debian12, fixed));
    }
  });

  it('answers "was this host affected on that date"', async () => {
    expect(await matched('bookworm-history', day(1))).toEqual(['TEST-WINDOW-1']);
    expect(await matched('bookworm-history', day(4))).toEqual(['TEST-WINDOW-1']);
    expect(await matched('bookworm-history', day(5))).toEqual([]);
    expect(await matched('bookworm-history', day(6))).toEqual([]);
    expect(await matched('bookworm-history', day(8))).toEqual(['TEST-WINDOW-1']);
    expect(await matched('bookworm-history', day(9))).toEqual([]);
    expect(await matched('bookworm-history')).toEqual([]);
  });

  it('gives the intervals, how each ended and the time to remediate', async () => {
    const [w] = await exposureWindows(api.db.sql, {
      hostIds: [hosts['bookworm-history'] ?? ''],
      advisoryIds: ['TEST-WINDOW-1'],
    });
    expect(w?.windows).toEqual([
      // Vulnerable from day 0, public from day 3, fixed on day 5: 2 days to remediate.
      { from: day(0), to: day(5), endedBy: 'fixed', timeToRemediateMs: 2 * 86_400_000 },
      { from: day(7), to: day(9), endedBy: 'removed', timeToRemediateMs: 2 * 86_400_000 },
    ]);
  });

  it('ends a window when a release upgrade leaves the advisory’s ecosystem', async () => {
    const id = await createHost(api.db.sql, 'bookworm-to-trixie');
    const libfoo = [deb('libfoo1', '1.2-3+b1', 'libfoo', '1.2-3')];
    const trixie = { id: 'debian', versionId: '13' };
    await applyProbe(api.db.sql, id, probeResult(day(0), debian12, libfoo));
    await applyProbe(api.db.sql, id, probeResult(day(4), trixie, libfoo));
    const windows = await exposureWindows(api.db.sql, { hostIds: [id] });
    expect(windows).toEqual([
      {
        hostId: id,
        advisoryId: 'TEST-DEB-BINNMU',
        windows: [
          // Published before day 0: remediation time is the whole window.
          {
            from: day(0),
            to: day(4),
            endedBy: 'release-changed',
            timeToRemediateMs: 4 * 86_400_000,
          },
        ],
      },
    ]);
  });

  it('GET /v1/hosts/{id}/vulnerabilities?asOf=…&include=windows', async () => {
    const id = hosts['bookworm-history'] ?? '';
    const res = await api.request(
      'GET',
      `/v1/hosts/${id}/vulnerabilities?asOf=${day(1).toISOString()}&include=windows`,
      { token: api.tokens.viewer },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      hostId: id,
      asOf: day(1).toISOString(),
      supported: true,
      reason: null,
      items: [
        {
          advisory: { id: 'TEST-WINDOW-1', severity: 'high', aliases: ['CVE-2099-2000'] },
          ecosystem: 'Debian:12',
          packages: [
            { name: 'zlib1g', evr: '1:1.2.13.dfsg-1', comparedVersion: '1:1.2.13.dfsg-1' },
          ],
          windows: [
            { from: day(0).toISOString(), to: day(5).toISOString(), endedBy: 'fixed' },
            { from: day(7).toISOString(), to: day(9).toISOString(), endedBy: 'removed' },
          ],
        },
      ],
    });
    const now = await api.request('GET', `/v1/hosts/${id}/vulnerabilities`, {
      token: api.tokens.viewer,
    });
    expect((now.body as { items: unknown[] }).items).toEqual([]);
  });
});

describe('HTTP', () => {
  it('GET /v1/advisories/{id}/hosts lists the affected hosts with their packages', async () => {
    const res = await api.request(
      'GET',
      `/v1/advisories/${encodeURIComponent('ALSA-2026:38503')}/hosts`,
      {
        token: api.tokens.viewer,
      },
    );
    expect(res.status, res.text).toBe(200);
    const body = res.body as { advisory: { id: string }; items: { hostName: string }[] };
    expect(body.advisory.id).toBe('ALSA-2026:38503');
    expect(body.items.map((h) => h.hostName)).toEqual([
      'alma-below',
      'alma-no-epoch',
      'alma-other-binary',
    ]);
  });

  it('GET /v1/vulnerabilities?cve= gives the advisories known by the CVE and their hosts', async () => {
    const res = await api.request('GET', '/v1/vulnerabilities?cve=CVE-2021-3782', {
      token: api.tokens.viewer,
    });
    expect(res.status, res.text).toBe(200);
    const body = res.body as {
      cve: string;
      advisories: { advisory: { id: string }; items: { hostName: string; ecosystem: string }[] }[];
    };
    expect(body.advisories.map((a) => a.advisory.id)).toEqual(['UBUNTU-CVE-2021-3782']);
    expect(body.advisories[0]?.items.map((h) => [h.hostName, h.ecosystem])).toEqual([
      ['bionic-below', 'Ubuntu:18.04:LTS'],
      ['jammy-below', 'Ubuntu:22.04:LTS'],
    ]);
  });

  it('GET /v1/fleet/vulnerabilities counts by severity and advisory, most-affected first', async () => {
    const res = await api.request('GET', '/v1/fleet/vulnerabilities', { token: api.tokens.viewer });
    expect(res.status, res.text).toBe(200);
    const body = res.body as {
      bySeverity: { severity: string; advisories: number; hosts: number }[];
      items: { advisory: { id: string }; hosts: number; notRunningKernelOnlyHosts: number }[];
    };
    expect(body.items.map((i) => [i.advisory.id, i.hosts, i.notRunningKernelOnlyHosts])).toEqual([
      ['ALSA-2026:38503', 3, 0],
      ['UBUNTU-CVE-2021-3782', 2, 0],
      ['USN-5614-1', 2, 0],
      ['UBUNTU-CVE-2022-24823', 1, 0],
      ['ALSA-2026:A006', 1, 1],
      ['TEST-DEB-BINNMU', 1, 0],
    ]);
    expect(body.bySeverity).toEqual([
      { severity: 'critical', advisories: 0, hosts: 0 },
      { severity: 'high', advisories: 0, hosts: 0 },
      { severity: 'medium', advisories: 1, hosts: 2 },
      { severity: 'low', advisories: 1, hosts: 1 },
      // The 3 ALSA-2026:38503 hosts, jammy-below, bionic-below, bookworm-binnmu and the host
      // running a vulnerable kernel (the rebooted one is counted apart).
      { severity: 'unknown', advisories: 4, hosts: 7 },
    ]);
  });

  it('404 for an unknown host', async () => {
    const res = await api.request(
      'GET',
      '/v1/hosts/00000000-0000-4000-8000-000000000000/vulnerabilities',
      { token: api.tokens.viewer },
    );
    expect(res.status).toBe(404);
  });
});

describe('the two other paths agree with correlating each host', () => {
  const hostIds = async () =>
    (await api.db.sql<{ id: string }[]>`select id from hosts order by name`).map((r) => r.id);
  const shape = (m: HostAdvisoryMatch) => ({
    hostId: m.hostId,
    advisoryId: m.advisoryId,
    ecosystem: m.ecosystem,
    notRunningKernelOnly: m.notRunningKernelOnly,
    packages: m.packages.map((p) => [p.key, p.comparedVersion, p.kernel, p.validFrom]),
  });
  const pairOf = (m: { advisoryId: string; hostId: string }) => `${m.advisoryId} ${m.hostId}`;
  const byPair = (a: { advisoryId: string; hostId: string }, b: typeof a) =>
    pairOf(a) < pairOf(b) ? -1 : 1;

  it('the whole-fleet counts (vulnerability index) equal the per-host matches', async () => {
    const perHost = (
      await Promise.all((await hostIds()).map((id) => correlate(api.db.sql, { hostIds: [id] })))
    ).flatMap((c) => c.matches);
    const severity = new Map(
      (await getAdvisories(api.db.sql, [...new Set(perHost.map((m) => m.advisoryId))])).map((a) => [
        a.id,
        a.severity,
      ]),
    );
    const expected = new Map<string, { hosts: number; notRunningKernelOnlyHosts: number }>();
    const exposed = new Map<string, Set<string>>();
    for (const m of perHost) {
      const entry = expected.get(m.advisoryId) ?? { hosts: 0, notRunningKernelOnlyHosts: 0 };
      expected.set(m.advisoryId, entry);
      if (m.notRunningKernelOnly) entry.notRunningKernelOnlyHosts++;
      else {
        entry.hosts++;
        const s = severity.get(m.advisoryId) ?? 'unknown';
        exposed.set(s, (exposed.get(s) ?? new Set()).add(m.hostId));
      }
    }
    const counts = await fleetVulnerabilityCounts(api.db.sql);
    expect(perHost.length).toBeGreaterThan(8);
    expect(
      new Map(
        counts.advisories.map((a) => [
          a.advisoryId,
          { hosts: a.hosts, notRunningKernelOnlyHosts: a.notRunningKernelOnlyHosts },
        ]),
      ),
    ).toEqual(expected);
    for (const [s, n] of Object.entries(counts.hostsBySeverity)) {
      expect(n, s).toBe(exposed.get(s)?.size ?? 0);
    }
  });

  it('advisoryMatches gives each advisory’s hosts as the per-host path does', async () => {
    const ids = (await api.db.sql<{ id: string }[]>`select id from advisories`).map((r) => r.id);
    const all = await hostIds();
    const perHost = (await correlate(api.db.sql, { hostIds: all, advisoryIds: ids })).matches;
    const { matches, hostNames } = await advisoryMatches(api.db.sql, ids);
    expect(matches.length).toBeGreaterThan(8);
    expect(matches.map(shape).sort(byPair)).toEqual(perHost.map(shape).sort(byPair));
    for (const m of matches) expect(hostNames.get(m.hostId)).toBeDefined();
  });
});
