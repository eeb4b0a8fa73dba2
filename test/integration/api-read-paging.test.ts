// GET /v1/packages/{name}/hosts pages in SQL (sql/packages.ts: versions decided per distinct
// version in JS, rows fetched by exact version): code-point order of host names, several rows
// per host, a row named both as binary and source listed once, version filters across pages,
// notes counting rows. And the fleet summary finds a host's last facts probe behind newer
// metrics probes.
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import type { ProbeResult } from '../../collectors/probe.ts';
import { applyProbe } from '../../sql/facts.ts';
import { addHost, craftedProbe, dpkg, packagesProbe } from './api-read-support.ts';
import { useApi } from './api-support.ts';

const api = useApi();

interface Page {
  items: { hostName: string; name: string; version: string; arch: string }[];
  nextCursor: string | null;
  notes: string[];
}

const get = async <T>(url: string, status = 200): Promise<T> => {
  const res = await api.request('GET', url, { token: api.tokens.viewer });
  expect(res.status, res.text).toBe(status);
  return res.body as T;
};

/** Every page of the list, `limit` rows at a time. */
async function allPages(url: string, limit: number): Promise<Page['items']> {
  const items: Page['items'] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await get<Page>(
      `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const rows = (items: Page['items']) => items.map((r) => `${r.hostName}/${r.name}:${r.arch}`);

/** A dpkg package whose version dpkg itself would refuse (as a broken host could report). */
const unreadable: PackageFact = {
  name: 'libssl3',
  epoch: null,
  version: 'abc',
  release: null,
  arch: 'amd64',
  evr: 'abc',
  source: { name: 'openssl', version: 'abc' },
  manager: 'dpkg',
};

beforeAll(async () => {
  const { sql } = api.db;
  const t = new Date(Date.now() - 60_000);
  const hosts: [string, PackageFact[]][] = [
    // Code-point order puts upper case first: Alpha, Beta, alpha, beta-2.
    ['beta-2', dpkg(['openssl', 'amd64', '3.0.9-1', '', ''])],
    ['alpha', dpkg(['openssl', 'amd64', '3.0.11-1', 'openssl', '3.0.11-1'])],
    [
      'Beta',
      dpkg(
        ['openssl', 'amd64', '3.0.13-1', '', ''],
        ['openssl', 'i386', '3.0.13-1', '', ''],
        ['libssl3', 'amd64', '3.0.13-1', 'openssl', '3.0.13-1'],
      ),
    ],
    ['Alpha', dpkg(['libssl3', 'amd64', '3.0.2-1', 'openssl', '3.0.2-1'])],
    ['gamma', [unreadable]],
    ['delta', dpkg(['bash', 'amd64', '5.2-1', '', ''])],
  ];
  for (const [name, packages] of hosts) {
    const id = await addHost(sql, api.secrets, name, { labels: { fleet: 'paging' } });
    await applyProbe(sql, id, packagesProbe(t, packages));
  }
});

describe('GET /v1/packages/{name}/hosts pages in SQL', () => {
  const url = '/v1/packages/openssl/hosts';

  it('orders by host name in code-point order, then host and key; one row per fact', async () => {
    const page = await get<Page>(url);
    expect(rows(page.items)).toEqual([
      'Alpha/libssl3:amd64',
      'Beta/libssl3:amd64',
      'Beta/openssl:amd64',
      'Beta/openssl:i386',
      'alpha/openssl:amd64',
      'beta-2/openssl:amd64',
      'gamma/libssl3:amd64',
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('pages without skips or duplicates, with and without a version filter', async () => {
    expect(rows(await allPages(url, 1))).toEqual(rows((await get<Page>(url)).items));
    const filtered = `${url}?versionGe=3.0.9-1&versionLt=3.0.13-1`;
    const all = await get<Page>(filtered);
    expect(rows(all.items)).toEqual(['alpha/openssl:amd64', 'beta-2/openssl:amd64']);
    expect(rows(await allPages(filtered, 1))).toEqual(rows(all.items));
    expect(rows(await allPages(`${url}?versionGe=3.0.13-1`, 2))).toEqual([
      'Beta/libssl3:amd64',
      'Beta/openssl:amd64',
      'Beta/openssl:i386',
    ]);
  });

  it('counts the rows it leaves out in its notes', async () => {
    const page = await get<Page>(`${url}?versionGe=0`);
    expect(page.items).toHaveLength(6);
    expect(page.notes).toEqual(['1 installed version(s) left out: not valid in their own scheme']);
  });

  it('answers an empty page for a version no row has, and 400 for a bad cursor', async () => {
    expect((await get<Page>(`${url}?versionEq=9.9-1`)).items).toEqual([]);
    expect((await get<Page>('/v1/packages/no-such-package/hosts')).items).toEqual([]);
    await get(`${url}?cursor=WyJhIiwibm90LWEtdXVpZCIsImsiXQ`, 400);
  });

  it('pages a package few hosts have past hosts that lack it (sorted, not walked)', async () => {
    const { sql } = api.db;
    const t = new Date(Date.now() - 60_000);
    // A page of 1 walks 8 hosts at most: these 10 come after the 6 above in name order, and
    // only the last two have the package.
    for (let i = 0; i < 10; i++) {
      const packages =
        i >= 8
          ? dpkg(['bash', 'amd64', '5.2-1', '', ''], ['rarepkg', 'amd64', `1.${i}-1`, '', ''])
          : dpkg(['bash', 'amd64', '5.2-1', '', '']);
      const id = await addHost(sql, api.secrets, `rare-${i}`, { labels: { fleet: 'paging' } });
      await applyProbe(sql, id, packagesProbe(t, packages));
    }
    const rare = '/v1/packages/rarepkg/hosts';
    expect(rows(await allPages(rare, 1))).toEqual(['rare-8/rarepkg:amd64', 'rare-9/rarepkg:amd64']);
    expect(rows(await allPages(`${rare}?versionGt=1.8-1`, 1))).toEqual(['rare-9/rarepkg:amd64']);
    // A package every host has is walked: the same pages either way.
    const bash = await allPages('/v1/packages/bash/hosts?label=fleet:paging', 1);
    expect(rows(bash)).toEqual([
      'delta/bash:amd64',
      ...Array.from({ length: 10 }, (_, i) => `rare-${i}/bash:amd64`),
    ]);
  });

  it('the version spread counts hosts and rows of both names', async () => {
    const spread = await get<{ items: unknown[] }>(
      '/v1/fleet/packages/openssl/versions?label=fleet:paging',
    );
    expect(spread.items).toEqual([
      { manager: 'dpkg', version: '3.0.13-1', hosts: 1, names: ['libssl3', 'openssl'] },
      { manager: 'dpkg', version: '3.0.11-1', hosts: 1, names: ['openssl'] },
      { manager: 'dpkg', version: '3.0.9-1', hosts: 1, names: ['openssl'] },
      { manager: 'dpkg', version: '3.0.2-1', hosts: 1, names: ['libssl3'] },
      { manager: 'dpkg', version: 'abc', hosts: 1, names: ['libssl3'] },
    ]);
  });
});

describe('GET /v1/fleet/summary', () => {
  it('finds the last facts probe behind newer metrics probes', async () => {
    const { sql } = api.db;
    const id = await addHost(sql, api.secrets, 'metrics-after-facts', {
      labels: { fleet: 'summary' },
    });
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
    await applyProbe(
      sql,
      id,
      craftedProbe(at(30), {
        packages: { status: 'ok', durationMs: 1, facts: [] },
        users: { status: 'failed', durationMs: 1, error: 'exit 1' },
      }),
    );
    for (let i = 6; i >= 1; i--) {
      const metrics: ProbeResult = { ...craftedProbe(at(i), {}), type: 'metrics' };
      await applyProbe(sql, id, metrics);
    }
    const summary = await get<{
      hosts: number;
      reachability: Record<string, number>;
      collectors: { name: string; ok: number; hosts: number }[];
    }>('/v1/fleet/summary?label=fleet:summary');
    expect(summary.hosts).toBe(1);
    expect(summary.reachability).toEqual({ ok: 1, stale: 0, unreachable: 0, neverProbed: 0 });
    expect(summary.collectors).toEqual([
      { name: 'packages', ok: 1, hosts: 1 },
      { name: 'users', ok: 0, hosts: 1 },
    ]);
  });
});
