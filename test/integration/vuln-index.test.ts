// The vulnerability index (migration 031, vuln/fleet-index.ts) follows the facts: a probe that
// changes a package or the os marks its host stale in the same transaction, the next reader
// rebuilds it, a probe that changes nothing marks nothing, a mark set again during a refresh
// survives it, and a deleted host leaves the index.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../sql/client.ts';
import { applyProbe } from '../../sql/facts.ts';
import { clearMarks, staleMarks, withIndexLock } from '../../sql/vuln-index.ts';
import { advisoryMatches } from '../../vuln/correlate.ts';
import { fleetVulnerabilityCounts } from '../../vuln/fleet-correlation.ts';
import { refreshVulnIndex } from '../../vuln/fleet-index.ts';
import { importOsvJson } from '../../vuln/import.ts';
import { useApi } from './api-support.ts';
import { createHost, deb, type Os, type Pkg, probeResult } from './vuln-support.ts';

const api = useApi();
const T0 = new Date('2026-10-01T00:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);
const bookworm: Os = { id: 'debian', versionId: '12' };
const trixie: Os = { id: 'debian', versionId: '13' };

const zlib = (evr: string): Pkg[] => [
  deb('zlib1g', evr, 'zlib'),
  deb('zlib1g-dev', evr, 'zlib'),
  deb('unrelated', '1.0-1', 'unrelated'),
];
const VULNERABLE = '1:1.2.13.dfsg-1';
const FIXED = '1:1.2.13.dfsg-2';

async function marks(sql: Sql, hostId: string): Promise<string[]> {
  const rows = await sql<{ part: string }[]>`
    select part from vuln_stale_hosts where host_id = ${hostId} order by part`;
  return rows.map((r) => r.part);
}

async function indexed(sql: Sql, hostId: string) {
  const [row] = await sql<{ ecosystems: string[]; versions: number }[]>`
    select ecosystems, length(package_versions) / 4 as versions
    from vuln_hosts where host_id = ${hostId}`;
  return row ?? null;
}

const hostsOf = async (advisoryId: string) =>
  (await fleetVulnerabilityCounts(api.db.sql)).advisories.find((a) => a.advisoryId === advisoryId)
    ?.hosts ?? 0;

beforeAll(async () => {
  const result = await importOsvJson(api.db.sql, [
    {
      id: 'TEST-IDX-ZLIB',
      modified: '2026-10-01T00:00:00Z',
      published: '2026-09-01T00:00:00Z',
      database_specific: { severity: 'High' },
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'zlib' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: FIXED }] }],
        },
      ],
    },
    {
      id: 'TEST-IDX-ZLIB-13',
      modified: '2026-10-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:13', name: 'zlib' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    },
  ]);
  expect(result.errors).toEqual([]);
});

describe('the vulnerability index follows the facts', () => {
  let id = '';

  it('a new host is marked stale by its first probe and indexed by the next reader', async () => {
    const { sql } = api.db;
    id = await createHost(sql, 'idx-bookworm');
    await applyProbe(sql, id, probeResult(day(0), bookworm, zlib(VULNERABLE)));
    expect(await marks(sql, id)).toEqual(['os', 'packages']);
    expect(await hostsOf('TEST-IDX-ZLIB')).toBe(1);
    expect(await marks(sql, id)).toEqual([]);
    expect(await indexed(sql, id)).toEqual({ ecosystems: ['Debian:12'], versions: 3 });
    const { matches } = await advisoryMatches(sql, ['TEST-IDX-ZLIB']);
    // By key: 'zlib1g-dev:amd64' < 'zlib1g:amd64'.
    expect(matches.map((m) => [m.hostId, m.packages.map((p) => p.name)])).toEqual([
      [id, ['zlib1g-dev', 'zlib1g']],
    ]);
  });

  it('a probe that changes nothing marks nothing', async () => {
    const { sql } = api.db;
    const applied = await applyProbe(sql, id, probeResult(day(1), bookworm, zlib(VULNERABLE)));
    expect(applied.kinds.unchanged.sort()).toEqual(['os', 'package']);
    expect(await marks(sql, id)).toEqual([]);
  });

  it('an upgrade to the fixed version: the host is no longer counted', async () => {
    const { sql } = api.db;
    await applyProbe(sql, id, probeResult(day(2), bookworm, zlib(FIXED)));
    expect(await marks(sql, id)).toEqual(['packages']);
    expect(await hostsOf('TEST-IDX-ZLIB')).toBe(0);
    expect((await advisoryMatches(sql, ['TEST-IDX-ZLIB'])).matches).toEqual([]);
    const res = await api.request('GET', '/v1/fleet/vulnerabilities', {
      token: api.tokens.viewer,
    });
    expect(res.status, res.text).toBe(200);
    const body = res.body as { items: { advisory: { id: string } }[] };
    expect(body.items.map((i) => i.advisory.id)).toEqual([]);
  });

  it('a release upgrade changes the host’s ecosystems', async () => {
    const { sql } = api.db;
    await applyProbe(sql, id, probeResult(day(3), trixie, zlib(FIXED)));
    expect(await marks(sql, id)).toEqual(['os']);
    expect(await hostsOf('TEST-IDX-ZLIB-13')).toBe(1);
    expect(await indexed(sql, id)).toEqual({ ecosystems: ['Debian:13'], versions: 3 });
    // Only the scopes are brought up to date for a single advisory's question.
    await applyProbe(sql, id, probeResult(day(4), bookworm, zlib(VULNERABLE)));
    const { matches } = await advisoryMatches(sql, ['TEST-IDX-ZLIB']);
    expect(matches.map((m) => m.hostId)).toEqual([id]);
    expect(await marks(sql, id)).toEqual(['packages']);
    expect(await refreshVulnIndex(sql)).toEqual({ os: 0, packages: 1 });
  });

  it('a mark set again while a refresh works on the host survives the refresh', async () => {
    const { sql } = api.db;
    await applyProbe(sql, id, probeResult(day(5), bookworm, zlib(FIXED)));
    await withIndexLock(sql, async (tx) => {
      const read = await staleMarks(tx, 'packages', 10);
      expect(read.map((m) => m.hostId)).toEqual([id]);
      // A probe commits another change meanwhile (outside this transaction).
      await applyProbe(sql, id, probeResult(day(6), bookworm, zlib(VULNERABLE)));
      await clearMarks(tx, read);
    });
    expect(await marks(sql, id)).toEqual(['packages']);
    expect(await hostsOf('TEST-IDX-ZLIB')).toBe(1);
  });

  it('a renamed host is answered with its new name, and is not marked stale', async () => {
    const { sql } = api.db;
    await refreshVulnIndex(sql);
    await sql`update hosts set name = 'idx-bookworm-renamed' where id = ${id}`;
    expect(await marks(sql, id)).toEqual([]);
    const { hostNames } = await advisoryMatches(sql, ['TEST-IDX-ZLIB']);
    expect(hostNames.get(id)).toBe('idx-bookworm-renamed');
  });

  it('finds a source’s binary named like it as well as those named otherwise', async () => {
    const { sql } = api.db;
    await importOsvJson(sql, {
      id: 'TEST-IDX-CURL',
      modified: '2026-10-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'curl' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '7.88.1-10' }] }],
        },
      ],
    });
    const curl = await createHost(sql, 'idx-curl');
    await applyProbe(
      sql,
      curl,
      probeResult(day(0), bookworm, [
        deb('curl', '7.88.1-9', 'curl'),
        deb('libcurl4', '7.88.1-9', 'curl'),
      ]),
    );
    const { matches } = await advisoryMatches(sql, ['TEST-IDX-CURL']);
    expect(matches.map((m) => m.packages.map((p) => p.name))).toEqual([['curl', 'libcurl4']]);
    expect(await hostsOf('TEST-IDX-CURL')).toBe(1);
    await sql`delete from hosts where id = ${curl}`;
  });

  it('a deleted host leaves the index', async () => {
    const { sql } = api.db;
    const other = await createHost(sql, 'idx-deleted');
    await applyProbe(sql, other, probeResult(day(0), bookworm, zlib(VULNERABLE)));
    expect(await hostsOf('TEST-IDX-ZLIB')).toBe(2);
    await sql`delete from hosts where id = ${other}`;
    expect(await indexed(sql, other)).toBeNull();
    expect(await hostsOf('TEST-IDX-ZLIB')).toBe(1);
  });
});
