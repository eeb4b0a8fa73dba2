// Write-on-change facts with history, on TimescaleDB and on plain PostgreSQL: probes built
// from recorded outputs (the Debian 12 host's os, services, users; 1,500 real packages).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import type { Fact } from '../../collectors/types.ts';
import { hostChanges } from '../../sql/changes.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import { currentFacts, factKinds, factsAsOf } from '../../sql/fact-queries.ts';
import { applyProbe } from '../../sql/facts.ts';
import { probeById } from '../../sql/probes.ts';
import { useTestDatabase } from '../support/db.ts';
import {
  createHosts,
  debian12Collectors,
  factsProbe,
  hostPackages,
  packagePool,
  tableWrites,
  upgraded,
} from './storage-fixtures.ts';

const pool = packagePool();
const packages = hostPackages(pool, 1500, 0);
const T0 = new Date('2026-11-02T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
/** Five dpkg packages spread over the list, each updated by `upgraded`. */
const fiveIndexes = [10, 311, 612, 913, 1214].map((i) => {
  let j = i;
  while (packages[j]?.value.manager !== 'dpkg') j++;
  return j;
});
const withUpgrades = (base: readonly Fact<PackageFact>[], idx: readonly number[], n = 1) =>
  base.map((f, i) => (idx.includes(i) ? upgraded(f, n) : f));
const byKey = (rows: readonly { key: string; value: unknown }[]) =>
  new Map(rows.map((r) => [r.key, r.value]));
const factCount = (p: ReturnType<typeof factsProbe>) =>
  Object.values(p.collectors).reduce(
    (n, c) => n + (c.status === 'ok' ? (c.facts?.length ?? 0) : 0),
    0,
  );

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('facts on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });
  // One connection, so the table statistics read back are this connection's writes.
  let writer: Sql;
  beforeAll(() => {
    writer = createSql(db.url, { max: 1 });
  });
  afterAll(async () => {
    await writer.end();
  });

  it('writes zero fact rows when the same host is probed again unchanged', async () => {
    const [host = ''] = await createHosts(db.sql, 'unchanged');
    const first = factsProbe({ at: at(0), packages, others: debian12Collectors() });
    const before = await tableWrites(writer, 'host_facts');
    const r1 = await applyProbe(writer, host, first);
    const afterFirst = await tableWrites(writer, 'host_facts');
    // The statistics do count this connection's writes: the baseline inserted every fact.
    expect(afterFirst.ins - before.ins).toBe(factCount(first));
    expect(r1.factRowsWritten).toBe(factCount(first));

    // A new probe of the same recorded host: fresh objects, same content.
    const kindsBefore = await tableWrites(writer, 'host_fact_kinds');
    const r2 = await applyProbe(
      writer,
      host,
      factsProbe({
        at: at(60),
        packages: hostPackages(packagePool(), 1500, 0),
        others: debian12Collectors(),
      }),
    );
    const afterSecond = await tableWrites(writer, 'host_facts');
    expect(afterSecond).toEqual(afterFirst);
    expect(r2.factRowsWritten).toBe(0);
    expect(r2.kinds.unchanged.sort()).toEqual(['group', 'os', 'package', 'service', 'user']);
    expect([r2.added, r2.removed, r2.changed, r2.baseline]).toEqual([0, 0, 0, 0]);
    // …while each kind's last success was recorded (so the statistics were read after the
    // flush), and the probe itself.
    expect((await tableWrites(writer, 'host_fact_kinds')).upd - kindsBefore.upd).toBe(5);
    const [probes] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from intel_probes where host_id = ${host}`;
    expect(probes?.n).toBe(2);

    const [rows] = await db.sql<{ n: number; open: number }[]>`
      select count(*)::int as n, count(*) filter (where valid_to is null)::int as open
      from host_facts where host_id = ${host}`;
    expect(rows).toEqual({ n: factCount(first), open: factCount(first) });
  });

  it('records exactly the 5 packages that changed out of 1,500', async () => {
    const [host = ''] = await createHosts(db.sql, 'five');
    await applyProbe(writer, host, factsProbe({ at: at(0), packages }));
    const updated = withUpgrades(packages, fiveIndexes);
    const before = await tableWrites(writer, 'host_facts');
    const result = await applyProbe(writer, host, factsProbe({ at: at(60), packages: updated }));
    const after = await tableWrites(writer, 'host_facts');

    expect([result.added, result.removed, result.changed]).toEqual([0, 0, 5]);
    // Five old versions closed, five new ones opened: nothing else touched.
    expect(after.ins - before.ins).toBe(5);
    expect(after.upd - before.upd).toBe(5);
    expect(result.factRowsWritten).toBe(10);

    const feed = await hostChanges(db.sql, host, { since: at(60), limit: 100 });
    expect(feed.items).toHaveLength(5);
    const expected = fiveIndexes.map((i) => ({
      key: packages[i]?.key,
      before: packages[i]?.value,
      after: updated[i]?.value,
    }));
    const got = feed.items.map((c) => ({ key: c.key, before: c.before, after: c.after }));
    expect(got.sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual(
      expected.sort((a, b) => String(a.key).localeCompare(String(b.key))),
    );
    for (const c of feed.items) {
      expect(c).toMatchObject({ change: 'changed', kind: 'package', probeId: result.probeId });
      expect(c.at).toEqual(at(60));
    }
    // e.g. the new version really is the updated one, with its fields re-parsed.
    const first = updated[fiveIndexes[0] ?? 0]?.value;
    expect(first?.evr).toMatch(/\+hi1$/);
    const now = byKey(await currentFacts(db.sql, host, 'package'));
    expect(now.size).toBe(1500);
    expect(now.get(packages[fiveIndexes[0] ?? 0]?.key ?? '')).toEqual(first);
  });

  it('closes the row of a removed package and opens one for an added package', async () => {
    const [host = ''] = await createHosts(db.sql, 'removed');
    await applyProbe(writer, host, factsProbe({ at: at(0), packages }));
    const gone = packages[700] as Fact<PackageFact>;
    const extra = pool[1600] as Fact<PackageFact>;
    const next = [...packages.filter((f) => f !== gone), extra];
    const result = await applyProbe(writer, host, factsProbe({ at: at(30), packages: next }));
    expect([result.added, result.removed, result.changed]).toEqual([1, 1, 0]);

    const versions = await db.sql<{ valid_from: Date; valid_to: Date | null }[]>`
      select valid_from, valid_to from host_facts
      where host_id = ${host} and kind = 'package' and key = ${gone.key}`;
    expect(versions).toEqual([{ valid_from: at(0), valid_to: at(30) }]);
    const now = byKey(await currentFacts(db.sql, host, 'package'));
    expect(now.has(gone.key)).toBe(false);
    expect(now.get(extra.key)).toEqual(extra.value);

    const feed = await hostChanges(db.sql, host, { since: at(30) });
    const entries = feed.items.map((c) => [c.change, c.key, c.before, c.after]);
    expect(entries).toContainEqual(['removed', gone.key, gone.value, null]);
    expect(entries).toContainEqual(['added', extra.key, null, extra.value]);
  });

  it('answers as-of queries at any instant between probes', async () => {
    const [host = ''] = await createHosts(db.sql, 'as-of');
    const s0 = packages;
    const s1 = withUpgrades(s0, fiveIndexes);
    const s2 = [...s1.filter((_, i) => i !== 42), pool[1650] as Fact<PackageFact>];
    await applyProbe(writer, host, factsProbe({ at: at(0), packages: s0 }));
    await applyProbe(writer, host, factsProbe({ at: at(60), packages: s1 }));
    await applyProbe(writer, host, factsProbe({ at: at(120), packages: s2 }));
    const expectState = async (instant: Date, state: readonly Fact[]) => {
      const rows = await factsAsOf(db.sql, host, instant, 'package');
      expect(rows).toHaveLength(state.length);
      expect(byKey(rows)).toEqual(byKey(state));
    };
    await expectState(new Date(at(0).getTime() - 1), []);
    await expectState(at(0), s0);
    await expectState(at(37.5), s0);
    await expectState(new Date(at(60).getTime() - 1), s0);
    await expectState(at(60), s1);
    await expectState(at(119), s1);
    await expectState(at(120), s2);
    await expectState(at(100_000), s2);
    // The version valid at an instant says when it started and ended.
    const changedKey = s0[fiveIndexes[2] ?? 0]?.key;
    const old = (await factsAsOf(db.sql, host, at(30), 'package')).find(
      (r) => r.key === changedKey,
    );
    expect(old).toMatchObject({ validFrom: at(0), validTo: at(60) });
  });

  it('leaves the kinds of a failed collector untouched, then resumes diffing', async () => {
    const [host = ''] = await createHosts(db.sql, 'failing');
    const debian = debian12Collectors();
    const first = await applyProbe(
      writer,
      host,
      factsProbe({ at: at(0), packages, others: debian }),
    );
    const state = async () => ({
      packages: await currentFacts(db.sql, host, 'package'),
      users: await currentFacts(db.sql, host, 'user'),
      services: await currentFacts(db.sql, host, 'service'),
    });
    const before = await state();
    const writesBefore = await tableWrites(writer, 'host_facts');

    // packages failed, users needed root, services timed out: only os is diffed.
    const failed = factsProbe({
      at: at(60),
      others: { os: debian.os as NonNullable<typeof debian.os> },
      failed: { packages: 'failed', users: 'needs-privilege', services: 'timeout' },
    });
    // A failed collector's facts, if it had any, would not count either.
    failed.collectors.packages = {
      status: 'failed',
      durationMs: 1,
      facts: packages.slice(0, 10),
      error: 'dpkg exited 2',
    };
    const r = await applyProbe(writer, host, failed);
    expect(r.kinds).toEqual({ baseline: [], unchanged: ['os'], changed: [], stale: [] });
    expect(await state()).toEqual(before);
    expect(await tableWrites(writer, 'host_facts')).toEqual(writesBefore);
    expect((await hostChanges(db.sql, host, { since: at(60) })).items).toEqual([]);
    const kinds = new Map((await factKinds(db.sql, host)).map((k) => [k.kind, k]));
    expect(kinds.get('package')?.lastSuccessAt).toEqual(at(0));
    expect(kinds.get('os')?.lastSuccessAt).toEqual(at(60));
    expect((await probeById(db.sql, r.probeId))?.collectors).toMatchObject({
      packages: { status: 'failed', error: 'dpkg exited 2' },
      users: { status: 'needs-privilege' },
      services: { status: 'timeout' },
      os: { status: 'ok', facts: 1 },
    });
    expect((await probeById(db.sql, r.probeId))?.status).toBe('partial');

    // The next success is diffed against the last successful state (t=0).
    const next = packages.filter((_, i) => i !== 5);
    const resumed = await applyProbe(writer, host, factsProbe({ at: at(120), packages: next }));
    expect([resumed.added, resumed.removed, resumed.changed]).toEqual([0, 1, 0]);
    const feed = await hostChanges(db.sql, host, { since: at(60) });
    expect(feed.items.map((c) => [c.change, c.key, c.at])).toEqual([
      ['removed', packages[5]?.key, at(120)],
    ]);
    expect(first.kinds.baseline.sort()).toEqual(['group', 'os', 'package', 'service', 'user']);
  });

  it('stores the first success of a kind as its baseline, not as additions', async () => {
    const [host = ''] = await createHosts(db.sql, 'baseline');
    const debian = debian12Collectors();
    const { services, ...withoutServices } = debian;
    const p0 = factsProbe({ at: at(0), packages, others: withoutServices });
    const r0 = await applyProbe(writer, host, p0);
    expect(r0.baseline).toBe(factCount(p0));
    expect([r0.added, r0.removed, r0.changed]).toEqual([0, 0, 0]);

    const feed0 = await hostChanges(db.sql, host);
    expect(feed0.items.map((c) => c.change)).toEqual(feed0.items.map(() => 'baseline'));
    const counts = Object.fromEntries(feed0.items.map((c) => [c.kind, c.after]));
    const usersOf = (kind: string) =>
      (debian.users?.facts ?? []).filter((f) => f.kind === kind).length;
    expect(counts).toEqual({
      package: { facts: 1500 },
      os: { facts: 1 },
      user: { facts: usersOf('user') },
      group: { facts: usersOf('group') },
    });
    expect(feed0.items.every((c) => c.key === null && c.at.getTime() === at(0).getTime())).toBe(
      true,
    );

    // Services collected for the first time later: a baseline again; a new package: added.
    const p1 = factsProbe({
      at: at(60),
      packages: [...packages, pool[1690] as Fact],
      others: { ...withoutServices, services: services as NonNullable<typeof services> },
    });
    const r1 = await applyProbe(writer, host, p1);
    expect(r1.kinds.baseline).toEqual(['service']);
    expect([r1.added, r1.baseline]).toEqual([1, services?.facts?.length]);
    const feed1 = await hostChanges(db.sql, host, { since: at(60) });
    expect(feed1.items.map((c) => [c.change, c.kind, c.key]).sort()).toEqual([
      ['added', 'package', pool[1690]?.key],
      ['baseline', 'service', null],
    ]);
    const kinds = await factKinds(db.sql, host);
    expect(kinds.find((k) => k.kind === 'service')).toMatchObject({
      baselineAt: at(60),
      baselineProbeId: r1.probeId,
      facts: services?.facts?.length,
    });
  });

  it('skips a probe older than the one already applied', async () => {
    const [host = ''] = await createHosts(db.sql, 'stale');
    await applyProbe(writer, host, factsProbe({ at: at(60), packages }));
    const late = await applyProbe(
      writer,
      host,
      factsProbe({ at: at(30), packages: packages.slice(0, 100) }),
    );
    expect(late.kinds.stale).toEqual(['package']);
    expect(late.factRowsWritten).toBe(0);
    expect(await currentFacts(db.sql, host, 'package')).toHaveLength(1500);
    expect((await probeById(db.sql, late.probeId))?.collectors.packages).toMatchObject({
      status: 'ok',
      stale: true,
    });
  });

  it('does not take a value whose fields come in another order for a change', async () => {
    const [host = ''] = await createHosts(db.sql, 'reordered');
    await applyProbe(writer, host, factsProbe({ at: at(0), packages }));
    const reversed = packages.map((f) => ({
      ...f,
      value: Object.fromEntries(Object.entries(f.value).reverse()) as unknown as PackageFact,
    }));
    const r1 = await applyProbe(writer, host, factsProbe({ at: at(60), packages: reversed }));
    expect([r1.added, r1.removed, r1.changed]).toEqual([0, 0, 0]);
    // Only the stored hashes moved to the new text; no version was closed or opened.
    expect(r1.factRowsWritten).toBe(1500);
    const [versions] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from host_facts where host_id = ${host}`;
    expect(versions?.n).toBe(1500);
    const r2 = await applyProbe(writer, host, factsProbe({ at: at(120), packages: reversed }));
    expect(r2.kinds.unchanged).toEqual(['package']);
  });

  it('serialises two probes of one host applied at once', async () => {
    const [host = ''] = await createHosts(db.sql, 'concurrent');
    await applyProbe(db.sql, host, factsProbe({ at: at(0), packages }));
    const a = withUpgrades(packages, fiveIndexes, 1);
    const b = withUpgrades(packages, fiveIndexes, 2);
    await Promise.all([
      applyProbe(db.sql, host, factsProbe({ at: at(60), packages: a })),
      applyProbe(db.sql, host, factsProbe({ at: at(61), packages: b })),
    ]);
    // Whichever ran first, the later probe's state is current and versions never overlap.
    expect(byKey(await currentFacts(db.sql, host, 'package'))).toEqual(byKey(b));
    // An unchanged probe (the one-statement path) racing a changed one (the transaction).
    await Promise.all([
      applyProbe(db.sql, host, factsProbe({ at: at(120), packages: a })),
      applyProbe(db.sql, host, factsProbe({ at: at(121), packages: b })),
    ]);
    expect(byKey(await currentFacts(db.sql, host, 'package'))).toEqual(byKey(b));
    const [overlaps] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from host_facts x join host_facts y
        on x.host_id = y.host_id and x.kind = y.kind and x.key = y.key and x.id < y.id
      where x.host_id = ${host}
        and tstzrange(x.valid_from, x.valid_to) && tstzrange(y.valid_from, y.valid_to)`;
    expect(overlaps?.n).toBe(0);
  });
});
