// Per-host reads over HTTP: facts (now and as of an instant), the change feed (per host and
// fleet-wide, paged), the probe log and metrics — on a real probe of deb12 and crafted history.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyProbe } from '../../sql/facts.ts';
import { insertMetrics } from '../../sql/metrics.ts';
import { testHost } from '../support/env.ts';
import { addHost, craftedProbe, dpkg, packagesProbe, probeDevHost } from './api-read-support.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi();
const ids: Record<string, string> = {};
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const t0 = new Date('2026-03-01T10:00:00.000Z');
const t1 = new Date('2026-03-01T11:00:00.000Z');
const t2 = new Date('2026-03-01T12:00:00.000Z');

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Fact {
  hostId: string;
  kind: string;
  key: string;
  value: Record<string, unknown>;
  validFrom: string;
  validTo: string | null;
}
interface Change {
  id: string;
  hostId: string;
  kind: string;
  key: string | null;
  change: string;
  at: string;
  before: { evr?: string } | null;
  after: { evr?: string } | null;
}

const get = async <T>(url: string, status = 200): Promise<T> => {
  const res = await api.request('GET', url, { token: api.tokens.viewer });
  expect(res.status, res.text).toBe(status);
  return res.body as T;
};

async function all<T>(url: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = url.includes('?') ? '&' : '?';
  do {
    const c: string = cursor ? `&cursor=${cursor}` : '';
    const page: Page<T> = await get<Page<T>>(`${url}${sep}limit=${limit}${c}`);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  const { sql } = api.db;
  ids.deb12 = await addHost(sql, api.secrets, 'deb12', { labels: { env: 'dev' } });
  await probeDevHost(sql, ids.deb12, 'deb12');
  ids.history = await addHost(sql, api.secrets, 'history', { labels: { role: 'history' } });
  const v1 = dpkg(
    ['openssl', 'amd64', '3.0.11-1~deb12u1', '', ''],
    ['curl', 'amd64', '7.88.1-10+deb12u5', '', ''],
  );
  const v2 = dpkg(
    ['openssl', 'amd64', '3.0.11-1~deb12u2', '', ''],
    ['zlib1g', 'amd64', '1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'],
  );
  await applyProbe(sql, ids.history, packagesProbe(t0, v1));
  await applyProbe(sql, ids.history, packagesProbe(t1, v2));
  await applyProbe(sql, ids.history, craftedProbe(t2, {}, 'failed'));
}, 60_000);

describe('GET /v1/hosts/{id}/facts', () => {
  it('answers the real probe’s os fact, as /etc/os-release on the host says', async () => {
    const dev = testHost('deb12');
    const release = readFileSync(path.join(dev.root, 'etc/os-release'), 'utf8');
    const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(release)?.[1];
    const page = await get<Page<Fact>>(`/v1/hosts/${ids.deb12}/facts?kind=os`);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      hostId: ids.deb12,
      kind: 'os',
      key: 'os',
      validTo: null,
    });
    expect(page.items[0]?.value).toMatchObject({ id: 'debian', versionId });
  });

  it('pages every current fact by (kind, key) without skips or duplicates', async () => {
    const whole = await get<Page<Fact>>(`/v1/hosts/${ids.deb12}/facts?limit=500`);
    expect(whole.items.length).toBeGreaterThan(50);
    const paged = await all<Fact>(`/v1/hosts/${ids.deb12}/facts`, 37);
    const keys = paged.map((f) => `${f.kind}/${f.key}`);
    expect(new Set(keys).size).toBe(keys.length);
    const host = ids.deb12 ?? '';
    const [stored] = await api.db.sql<{ n: number }[]>`
      select count(*)::int as n from host_facts where host_id = ${host} and valid_to is null`;
    expect(paged.length).toBe(stored?.n);
    expect(paged.slice(0, whole.items.length)).toEqual(whole.items);
  });

  it('answers what was true as of an instant', async () => {
    const at = (asOf: string) =>
      get<Page<Fact>>(`/v1/hosts/${ids.history}/facts?kind=package&asOf=${asOf}`);
    const before = await at('2026-03-01T09:59:59Z');
    expect(before.items).toEqual([]);
    const first = await at('2026-03-01T10:30:00Z');
    expect(first.items.map((f) => [f.key, f.value.evr, f.validTo])).toEqual([
      ['curl:amd64', '7.88.1-10+deb12u5', t1.toISOString()],
      ['openssl:amd64', '3.0.11-1~deb12u1', t1.toISOString()],
    ]);
    const second = await at('2026-03-01T11:00:00Z');
    expect(second.items.map((f) => [f.key, f.value.evr, f.validTo])).toEqual([
      ['openssl:amd64', '3.0.11-1~deb12u2', null],
      ['zlib1g:amd64', '1:1.2.13.dfsg-1', null],
    ]);
    // The failed probe at t2 changed nothing: now equals the state after t1.
    const now = await get<Page<Fact>>(`/v1/hosts/${ids.history}/facts?kind=package`);
    expect(now.items).toEqual(second.items);
  });

  it('refuses an invalid instant (400), a bad cursor (400) and an unknown host (404)', async () => {
    const bad = await get<ProblemBody>(`/v1/hosts/${ids.history}/facts?asOf=yesterday`, 400);
    expect(bad.type).toBe('https://hostintel.dev/problems/invalid-parameter');
    expect(bad.errors?.[0]?.path).toBe('asOf');
    const cursor = await get<ProblemBody>(`/v1/hosts/${ids.history}/facts?cursor=bm9wZQ`, 400);
    expect(cursor.type).toBe('https://hostintel.dev/problems/invalid-cursor');
    await get<ProblemBody>(`/v1/hosts/${UNKNOWN}/facts`, 404);
    await get<ProblemBody>('/v1/hosts/not-a-uuid/facts', 404);
  });
});

describe('the change feed', () => {
  it('lists a host’s changes newest first: changed, added, removed, then the baseline', async () => {
    const page = await get<Page<Change>>(`/v1/hosts/${ids.history}/changes`);
    expect(page.nextCursor).toBeNull();
    const summary = page.items.map((c) => [c.change, c.key, c.before?.evr, c.after?.evr, c.at]);
    expect(summary).toHaveLength(4);
    expect(summary.slice(0, 3)).toEqual(
      expect.arrayContaining([
        ['changed', 'openssl:amd64', '3.0.11-1~deb12u1', '3.0.11-1~deb12u2', t1.toISOString()],
        ['added', 'zlib1g:amd64', undefined, '1:1.2.13.dfsg-1', t1.toISOString()],
        ['removed', 'curl:amd64', '7.88.1-10+deb12u5', undefined, t1.toISOString()],
      ]),
    );
    expect(page.items[3]).toMatchObject({ change: 'baseline', key: null, after: { facts: 2 } });
    const since = await get<Page<Change>>(
      `/v1/hosts/${ids.history}/changes?since=2026-03-01T10:30:00Z&change=changed`,
    );
    expect(since.items.map((c) => c.key)).toEqual(['openssl:amd64']);
    const until = await get<Page<Change>>(
      `/v1/hosts/${ids.history}/changes?until=2026-03-01T11:00:00Z`,
    );
    expect(until.items.map((c) => c.change)).toEqual(['baseline']);
  });

  it('pages one probe’s changes (one timestamp) without skips or duplicates', async () => {
    const whole = await get<Page<Change>>(`/v1/hosts/${ids.history}/changes`);
    expect(await all<Change>(`/v1/hosts/${ids.history}/changes`, 1)).toEqual(whole.items);
    const fleet = await get<Page<Change>>('/v1/changes?limit=500');
    expect(await all<Change>('/v1/changes', 3)).toEqual(fleet.items);
    expect(new Set(fleet.items.map((c) => c.hostId))).toEqual(new Set([ids.deb12, ids.history]));
  });

  it('filters the fleet feed by host label, paging it the same way', async () => {
    const filtered = await all<Change>('/v1/changes?label=role:history', 1);
    const host = await get<Page<Change>>(`/v1/hosts/${ids.history}/changes`);
    expect(filtered).toEqual(host.items);
    const kind = await get<Page<Change>>('/v1/changes?label=env:dev&kind=os');
    expect(kind.items.map((c) => [c.hostId, c.change])).toEqual([[ids.deb12, 'baseline']]);
  });

  it('refuses a cursor of another listing, bad instants and unknown hosts', async () => {
    const host = await get<Page<Change>>(`/v1/hosts/${ids.history}/changes?limit=1`);
    expect(host.nextCursor).not.toBeNull();
    const replay = await get<ProblemBody>(`/v1/changes?cursor=${host.nextCursor}`, 400);
    expect(replay.type).toBe('https://hostintel.dev/problems/invalid-cursor');
    await get<ProblemBody>('/v1/changes?since=2026-13-01', 400);
    await get<ProblemBody>('/v1/changes?change=renamed', 400);
    await get<ProblemBody>(`/v1/hosts/${UNKNOWN}/changes`, 404);
  });
});

describe('GET /v1/hosts/{id}/probes', () => {
  it('lists the probe log newest first with status and per-collector outcomes', async () => {
    const page = await get<
      Page<{ hostId: string; status: string; collectors: Record<string, { status: string }> }>
    >(`/v1/hosts/${ids.history}/probes`);
    expect(page.items.map((p) => p.status)).toEqual(['failed', 'ok', 'ok']);
    expect(page.items[1]?.collectors.packages).toMatchObject({ status: 'ok', facts: 2 });
    const real = await get<
      Page<{ status: string; collectors: Record<string, { status: string }> }>
    >(`/v1/hosts/${ids.deb12}/probes`);
    expect(real.items).toHaveLength(1);
    expect(['ok', 'partial']).toContain(real.items[0]?.status);
    expect(real.items[0]?.collectors.os?.status).toBe('ok');
    const failed = await get<Page<unknown>>(`/v1/hosts/${ids.history}/probes?status=failed`);
    expect(failed.items).toHaveLength(1);
    const paged = await all<unknown>(`/v1/hosts/${ids.history}/probes`, 1);
    expect(paged).toEqual(page.items);
    await get<ProblemBody>(`/v1/hosts/${UNKNOWN}/probes`, 404);
    await get<ProblemBody>(`/v1/hosts/${ids.history}/probes?status=lost`, 400);
  });
});

describe('GET /v1/hosts/{id}/metrics', () => {
  it('answers buckets with average and maximum', async () => {
    const row = (time: string, load1: number) => ({
      time: new Date(time),
      hostId: ids.history as string,
      cpuUserPct: null,
      cpuSystemPct: null,
      cpuIowaitPct: null,
      cpuStealPct: null,
      cpuIdlePct: null,
      load1,
      load5: null,
      load15: null,
      memTotalBytes: null,
      memAvailableBytes: null,
      memUsedBytes: null,
      swapTotalBytes: null,
      swapUsedBytes: null,
      procsRunning: null,
      procsTotal: null,
      uptimeSeconds: null,
    });
    await insertMetrics(api.db.sql, {
      host: [
        row('2026-03-01T10:00:00Z', 1),
        row('2026-03-01T10:00:30Z', 3),
        row('2026-03-01T10:01:10Z', 5),
      ],
      fs: [],
      net: [],
      disk: [],
    });
    const res = await get<{
      source: string;
      stepSeconds: number;
      points: { time: string; samples: number; avg: { load1: number }; max: { load1: number } }[];
    }>(
      `/v1/hosts/${ids.history}/metrics?from=2026-03-01T10:00:00Z&to=2026-03-01T10:05:00Z&step=60`,
    );
    expect(res.source).toBe('raw');
    expect(res.points.map((p) => [p.time, p.samples, p.avg.load1, p.max.load1])).toEqual([
      ['2026-03-01T10:00:00.000Z', 2, 2, 3],
      ['2026-03-01T10:01:00.000Z', 1, 5, 5],
    ]);
    const hourly = await get<{ stepSeconds: number; points: { samples: number }[] }>(
      `/v1/hosts/${ids.history}/metrics?from=2026-02-25T00:00:00Z&to=2026-03-02T00:00:00Z`,
    );
    expect(hourly.stepSeconds).toBe(3600);
    expect(hourly.points.map((p) => p.samples)).toEqual([3]);
  });

  it('refuses a reversed range, too many buckets, a bad series and unknown hosts', async () => {
    const base = `/v1/hosts/${ids.history}/metrics`;
    const reversed = await get<ProblemBody>(
      `${base}?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`,
      400,
    );
    expect(reversed.detail).toBe('`to` must be after `from`');
    await get<ProblemBody>(`${base}?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&step=1`, 400);
    await get<ProblemBody>(`${base}?series=gpu`, 400);
    await get<ProblemBody>(`/v1/hosts/${UNKNOWN}/metrics`, 404);
  });
});
