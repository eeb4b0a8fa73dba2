// What the API reads: the change feed (per host and fleet-wide, keyset-paginated), the probe
// log, "which hosts have package X", "which hosts have fact F" — on TimescaleDB and on plain
// PostgreSQL.
import { describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import type { Fact } from '../../collectors/types.ts';
import { type ChangeEntry, fleetChanges, hostChanges } from '../../sql/changes.ts';
import type { Sql } from '../../sql/client.ts';
import { InvalidCursorError, type Page } from '../../sql/cursor.ts';
import { hostsWithFact } from '../../sql/fact-queries.ts';
import { applyProbe } from '../../sql/facts.ts';
import { packageHosts } from '../../sql/packages.ts';
import {
  abandonRunningProbes,
  finishProbe,
  probeById,
  type ProbeRow,
  probes,
  startProbe,
} from '../../sql/probes.ts';
import { useTestDatabase } from '../support/db.ts';
import {
  createHosts,
  debian12Collectors,
  debian12Packages,
  factsProbe,
  hostPackages,
  packagePool,
  upgraded,
} from './storage-fixtures.ts';

const pool = packagePool();
const packages = hostPackages(pool, 1500, 0);
const T0 = new Date('2026-11-03T06:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Every item of a paginated listing, page by page. */
async function allPages<T>(page: (cursor: string | null) => Promise<Page<T>>) {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const p = await page(cursor);
    items.push(...p.items);
    cursor = p.nextCursor;
    pages++;
  } while (cursor !== null && pages < 10_000);
  return { items, pages };
}

/** 250 updated, 20 removed, 30 added packages: 300 changes sharing one timestamp. */
function busyProbe(base: readonly Fact<PackageFact>[]) {
  const next: Fact[] = [];
  base.forEach((f, i) => {
    if (i % 6 === 0 && next.length < 1500 && f.value.manager === 'dpkg') next.push(upgraded(f, 7));
    else if (i % 75 === 1) return;
    else next.push(f);
  });
  return [...next, ...pool.slice(1500, 1530)];
}

async function seedBusyHost(sql: Sql, name: string, minutes = 60) {
  const [host = ''] = await createHosts(sql, name);
  await applyProbe(sql, host, factsProbe({ at: at(0), packages }));
  const r = await applyProbe(
    sql,
    host,
    factsProbe({ at: at(minutes), packages: busyProbe(packages) }),
  );
  return { host, result: r, total: r.added + r.removed + r.changed };
}

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('change feed, probe log and fleet queries on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });

  it('pages through hundreds of changes sharing one timestamp without skipping any', async () => {
    const { host, result, total } = await seedBusyHost(db.sql, 'busy');
    expect([result.added, result.removed, result.changed]).toEqual([30, 20, expect.any(Number)]);
    expect(total).toBeGreaterThan(250);

    const everything = await hostChanges(db.sql, host, { since: at(60), limit: 1000 });
    expect(everything.items).toHaveLength(total);
    expect(everything.nextCursor).toBeNull();
    for (const order of ['desc', 'asc'] as const) {
      for (const limit of [1, 7, 100, total - 1, total]) {
        const { items, pages } = await allPages((cursor) =>
          hostChanges(db.sql, host, { since: at(60), limit, cursor, order }),
        );
        expect(pages).toBe(Math.ceil(total / limit));
        expect(items.map((c) => c.id)).toEqual(
          (order === 'desc' ? everything.items : [...everything.items].reverse()).map((c) => c.id),
        );
        expect(new Set(items.map((c) => c.id)).size).toBe(total);
        expect(items.every((c) => c.at.getTime() === at(60).getTime())).toBe(true);
      }
    }
  });

  it('pages the fleet-wide feed across hosts, kinds and change types', async () => {
    const hosts = await Promise.all(
      ['fleet-a', 'fleet-b', 'fleet-c'].map((n) => seedBusyHost(db.sql, n, 90)),
    );
    const expected = hosts.reduce((n, h) => n + h.total, 0);
    const query = { since: at(90), until: at(91), limit: 13 };
    const { items } = await allPages((cursor) => fleetChanges(db.sql, { ...query, cursor }));
    expect(items).toHaveLength(expected);
    expect(new Set(items.map((c) => c.id)).size).toBe(expected);
    expect(new Set(items.map((c) => c.hostId))).toEqual(new Set(hosts.map((h) => h.host)));
    // Filters compose with the cursor.
    const removed = await allPages((cursor) =>
      fleetChanges(db.sql, { ...query, changes: ['removed'], cursor }),
    );
    expect(removed.items).toHaveLength(60);
    expect(
      removed.items.every((c: ChangeEntry) => c.change === 'removed' && c.after === null),
    ).toBe(true);
    const gone = packages[1] as Fact;
    const oneKey = await fleetChanges(db.sql, { ...query, kind: 'package', key: gone.key });
    expect(oneKey.items.map((c) => [c.change, c.before])).toEqual([
      ['removed', gone.value],
      ['removed', gone.value],
      ['removed', gone.value],
    ]);
    // Baselines are entries of their own, filtered like the rest.
    const baselines = await fleetChanges(db.sql, {
      changes: ['baseline'],
      since: at(0),
      until: at(1),
    });
    expect(baselines.items.filter((c) => hosts.some((h) => h.host === c.hostId))).toHaveLength(3);
  });

  it('refuses a cursor that is not one the listing returned', async () => {
    const { host } = await seedBusyHost(db.sql, 'cursors');
    const page = await hostChanges(db.sql, host, { limit: 5 });
    expect(page.nextCursor).not.toBeNull();
    await expect(fleetChanges(db.sql, { cursor: page.nextCursor })).rejects.toThrow(
      InvalidCursorError,
    );
    await expect(hostChanges(db.sql, host, { cursor: 'bm9wZQ' })).rejects.toThrow(
      InvalidCursorError,
    );
    await expect(hostChanges(db.sql, host, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('shows a probe as running from its start and completes it with its result', async () => {
    const [host = ''] = await createHosts(db.sql, 'probe-log');
    const started = await startProbe(db.sql, {
      hostId: host,
      type: 'facts',
      reason: 'manual',
      startedAt: at(0),
    });
    const running = await probes(db.sql, host);
    expect(running.items).toMatchObject([
      { id: started.id, status: 'running', reason: 'manual', finishedAt: null, factChanges: null },
    ]);

    const result = factsProbe({ at: at(1), packages, others: debian12Collectors() });
    const applied = await applyProbe(db.sql, host, result, {
      probeId: started.id,
      reason: 'manual',
    });
    expect(applied.probeId).toBe(started.id);
    const done = (await probeById(db.sql, started.id)) as ProbeRow;
    expect(done).toMatchObject({
      hostId: host,
      type: 'facts',
      reason: 'manual',
      status: 'ok',
      startedAt: at(0),
      finishedAt: at(1),
      durationMs: 60_000,
      bytes: result.bytes,
      error: null,
      factChanges: applied.baseline,
    });
    expect(done.collectors.packages).toEqual({ status: 'ok', durationMs: 40, facts: 1500 });
    expect(done.collectors.users?.facts).toBe(result.collectors.users?.facts?.length);

    // Ended without a result: the host actor's timeout, an abort.
    const second = await startProbe(db.sql, { hostId: host, type: 'metrics', startedAt: at(5) });
    expect(
      await finishProbe(db.sql, second.id, {
        status: 'timeout',
        finishedAt: at(7),
        error: 'probe exceeded its 120000 ms deadline',
        errorCode: 'timeout',
      }),
    ).toBe(true);
    expect(await finishProbe(db.sql, second.id, { status: 'failed' })).toBe(false);
    expect(await probeById(db.sql, second.id)).toMatchObject({
      status: 'timeout',
      errorCode: 'timeout',
      durationMs: 120_000,
    });
    // A runner that died leaves probes running; they are closed as abandoned.
    const orphan = await startProbe(db.sql, { hostId: host, type: 'facts', startedAt: at(10) });
    expect(await abandonRunningProbes(db.sql, { startedBefore: at(11) })).toBe(1);
    expect(await probeById(db.sql, orphan.id)).toMatchObject({
      status: 'failed',
      errorCode: 'abandoned',
    });
    expect(await probeById(db.sql, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await probeById(db.sql, 'not-a-uuid')).toBeNull();
  });

  it('pages probes that started at the same instant', async () => {
    const [host = ''] = await createHosts(db.sql, 'probe-pages');
    const ids = new Set<string>();
    for (let i = 0; i < 23; i++) {
      ids.add((await startProbe(db.sql, { hostId: host, type: 'metrics', startedAt: at(3) })).id);
    }
    for (let i = 0; i < 4; i++) {
      ids.add((await startProbe(db.sql, { hostId: host, type: 'facts', startedAt: at(i) })).id);
    }
    const { items, pages } = await allPages((cursor) => probes(db.sql, host, { limit: 4, cursor }));
    expect(pages).toBe(7);
    expect(new Set(items.map((p) => p.id))).toEqual(ids);
    const times = items.map((p) => p.startedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const facts = await probes(db.sql, host, { type: 'facts', status: 'running' });
    expect(facts.items).toHaveLength(4);
  });

  it('finds the hosts with a package by binary or source name, with its versions', async () => {
    const [a = '', b = '', c = ''] = await createHosts(db.sql, 'pkg', 3);
    const debian = debian12Packages();
    await applyProbe(db.sql, a, factsProbe({ at: at(0), packages: debian }));
    await applyProbe(db.sql, b, factsProbe({ at: at(0), packages }));
    await applyProbe(db.sql, c, factsProbe({ at: at(0), others: debian12Collectors() }));
    const holding = (facts: readonly Fact[], name: string) =>
      facts.filter((f) => {
        const p = f.value as PackageFact;
        return p.name === name || p.source?.name === name;
      });

    // Source package util-linux: fdisk, libblkid1, mount, … built from it.
    // Other tests' hosts share the database: look at these three.
    const ours = (r: { hostId: string }) => [a, b, c].includes(r.hostId);
    const rows = (await packageHosts(db.sql, 'util-linux')).filter(ours);
    const expected = [
      ...holding(debian, 'util-linux').map((f) => ({ hostId: a, key: f.key })),
      ...holding(packages, 'util-linux').map((f) => ({ hostId: b, key: f.key })),
    ];
    expect(expected.length).toBeGreaterThan(10);
    expect(rows.map((r) => ({ hostId: r.hostId, key: r.key })).sort(byHostKey)).toEqual(
      expected.sort(byHostKey),
    );
    // A binary package built from util-linux (e.g. mount, libblkid1), field by field.
    const built = holding(debian, 'util-linux').find((f) => f.value.name !== 'util-linux');
    const fact = built?.value as PackageFact;
    expect(fact.source?.name).toBe('util-linux');
    expect(rows.find((r) => r.hostId === a && r.key === built?.key)).toEqual({
      hostId: a,
      key: built?.key,
      name: fact.name,
      epoch: fact.epoch,
      version: fact.version,
      release: fact.release,
      arch: fact.arch,
      evr: fact.evr,
      source: fact.source,
      manager: 'dpkg',
      since: at(0),
    });

    // An rpm package with an epoch (the Rocky 9 style recording), and on b whatever CentOS
    // packages are named openssl or built from it.
    const openssl = pool.find((f) => f.value.manager === 'rpm' && f.value.evr === '1:3.0.7-27.el9');
    await applyProbe(db.sql, c, factsProbe({ at: at(5), packages: openssl ? [openssl] : [] }));
    const rpmRows = (await packageHosts(db.sql, 'openssl')).filter(
      (r) => ours(r) && r.manager === 'rpm',
    );
    const rpmOf = (facts: readonly Fact[]) =>
      holding(facts, 'openssl').filter((f) => (f.value as PackageFact).manager === 'rpm');
    expect(rpmRows.map((r) => ({ hostId: r.hostId, key: r.key })).sort(byHostKey)).toEqual(
      [
        ...rpmOf(packages).map((f) => ({ hostId: b, key: f.key })),
        { hostId: c, key: openssl?.key ?? '' },
      ].sort(byHostKey),
    );
    expect(rpmRows.find((r) => r.hostId === c)).toMatchObject({
      name: 'openssl',
      epoch: 1,
      version: '3.0.7',
      release: '27.el9',
      arch: 'x86_64',
      evr: '1:3.0.7-27.el9',
      source: { name: 'openssl', version: '3.0.7-27.el9' },
      since: at(5),
    });

    // Removed from a host: no longer listed for it.
    await applyProbe(db.sql, c, factsProbe({ at: at(10), packages: [] }));
    expect((await packageHosts(db.sql, 'openssl')).some((r) => r.hostId === c)).toBe(false);
    expect(await packageHosts(db.sql, 'no-such-package')).toEqual([]);
  });

  it('finds the hosts that hold a fact now', async () => {
    const [a = '', b = ''] = await createHosts(db.sql, 'svc', 2);
    const debian = debian12Collectors();
    const service = debian.services?.facts?.[0] as Fact;
    await applyProbe(db.sql, a, factsProbe({ at: at(0), others: debian }));
    await applyProbe(db.sql, b, factsProbe({ at: at(0), others: debian12Collectors() }));
    const rows = await hostsWithFact(db.sql, service.kind, service.key);
    expect(rows.filter((r) => r.hostId === a || r.hostId === b)).toHaveLength(2);
    expect(rows.find((r) => r.hostId === a)?.value).toEqual(service.value);
  });
});

function byHostKey(x: { hostId: string; key: string }, y: { hostId: string; key: string }) {
  return x.hostId === y.hostId ? x.key.localeCompare(y.key) : x.hostId.localeCompare(y.hostId);
}
