// Retention: old chunks dropped (TimescaleDB) or old rows deleted (plain PostgreSQL), recent
// data kept, current facts never deleted however old.
import { describe, expect, it } from 'vitest';
import type { Sql } from '../../sql/client.ts';
import { currentFacts, factsAsOf } from '../../sql/fact-queries.ts';
import { applyProbe } from '../../sql/facts.ts';
import { insertMetrics, toMetricRows } from '../../sql/metrics.ts';
import { finishProbe, startProbe } from '../../sql/probes.ts';
import { enforceRetention, RETENTION_DEFAULTS } from '../../sql/retention.ts';
import { useTestDatabase } from '../support/db.ts';
import {
  createHosts,
  factsProbe,
  hostPackages,
  packagePool,
  recordedMetrics,
  upgraded,
} from './storage-fixtures.ts';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const RAW = ['host_metrics', 'fs_metrics', 'net_metrics', 'disk_metrics'] as const;

/** How many days ago the host's rows of a table are, oldest first, each age once. */
async function ages(sql: Sql, table: string, column: string, host: string) {
  const rows = await sql<{ at: Date }[]>`
    select ${sql(column)} as at from ${sql(table)} where host_id = ${host} order by 1`;
  const days = rows.map((r) => Math.round((NOW.getTime() - r.at.getTime()) / 86_400_000));
  return [...new Set(days)];
}

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('retention on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });

  it('keeps 30 days of samples, 400 of rollups and history, all current facts', async () => {
    expect(RETENTION_DEFAULTS).toEqual({
      rawMetricsDays: 30,
      rollupDays: 400,
      factHistoryDays: 400,
      probeLogDays: 30,
    });
    const [host = ''] = await createHosts(db.sql, 'retention');
    const t0 = recordedMetrics('t0');
    const t1 = recordedMetrics('t1');
    // Raw samples 40, 35, 10 days and 1 hour ago (a pair each, so every table has rows).
    for (const days of [40, 35, 10, 1 / 24]) {
      const at = daysAgo(days);
      const previous = { at: new Date(at.getTime() - 2845), metrics: t0.metrics };
      await insertMetrics(db.sql, toMetricRows(host, at, previous, t1.metrics));
    }
    for (const days of [420, 10]) {
      await db.sql`
        insert into host_metrics_hourly (bucket, host_id, samples, load1_avg, load1_max)
        values (${daysAgo(days)}, ${host}, 60, 1.5, 3)`;
      await db.sql`
        insert into fs_metrics_hourly (bucket, host_id, mount, samples, used_bytes_avg)
        values (${daysAgo(days)}, ${host}, '/', 60, 1e9)`;
    }
    for (const days of [40, 1]) {
      const probe = await startProbe(db.sql, {
        hostId: host,
        type: 'metrics',
        startedAt: daysAgo(days),
      });
      await finishProbe(db.sql, probe.id, {
        status: 'ok',
        finishedAt: new Date(daysAgo(days).getTime() + 900),
      });
    }
    // Facts: a baseline 420 days ago, 5 packages updated 410 days ago, 5 others 5 days ago.
    const pool = packagePool();
    const p0 = hostPackages(pool, 1500, 0);
    const dpkg = p0.flatMap((f, i) => (f.value.manager === 'dpkg' ? [i] : []));
    const first = dpkg.slice(0, 5);
    const second = dpkg.slice(100, 105);
    const p1 = p0.map((f, i) => (first.includes(i) ? upgraded(f) : f));
    const p2 = p1.map((f, i) => (second.includes(i) ? upgraded(f) : f));
    await applyProbe(db.sql, host, factsProbe({ at: daysAgo(420), packages: p0 }));
    await applyProbe(db.sql, host, factsProbe({ at: daysAgo(410), packages: p1 }));
    await applyProbe(db.sql, host, factsProbe({ at: daysAgo(5), packages: p2 }));

    const chunks = async () => {
      if (!timescale) return 0;
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from show_chunks('host_metrics')`;
      return row?.n ?? 0;
    };
    const chunksBefore = await chunks();

    const steps = await enforceRetention(db.sql, {}, { now: NOW });
    const step = (table: string) => steps.find((s) => s.table === table);
    for (const table of RAW) {
      expect(await ages(db.sql, table, 'time', host)).toEqual([10, 0]);
      expect(step(table)).toMatchObject({
        method: timescale ? 'drop_chunks' : 'delete',
        cutoff: daysAgo(30),
      });
    }
    // drop_chunks counts chunks (the 40- and 35-day ones), delete counts rows.
    expect(step('host_metrics')?.removed).toBe(2);
    if (timescale) expect(await chunks()).toBe(chunksBefore - 2);
    expect(await ages(db.sql, 'host_metrics_hourly', 'bucket', host)).toEqual([10]);
    expect(await ages(db.sql, 'fs_metrics_hourly', 'bucket', host)).toEqual([10]);
    expect(await ages(db.sql, 'intel_probes', 'started_at', host)).toEqual([5, 1]);
    expect(step('intel_probes')?.method).toBe(timescale ? 'drop_chunks' : 'delete');

    // Closed versions older than 400 days are gone; current ones stay, however old.
    expect(step('host_facts')).toMatchObject({ method: 'delete', removed: 5 });
    const versions = await db.sql<{ open: number; closed: number; oldest: Date }[]>`
      select count(*) filter (where valid_to is null)::int as open,
             count(*) filter (where valid_to is not null)::int as closed,
             min(valid_from) as oldest
      from host_facts where host_id = ${host}`;
    expect(versions[0]).toEqual({ open: 1500, closed: 5, oldest: daysAgo(420) });
    expect(await currentFacts(db.sql, host, 'package')).toHaveLength(1500);
    const changes = await db.sql<{ change: string; at: Date }[]>`
      select change, at from host_fact_changes where host_id = ${host}`;
    expect(changes).toHaveLength(5);
    expect(
      changes.every((c) => c.change === 'changed' && c.at.getTime() === daysAgo(5).getTime()),
    ).toBe(true);
    // As of a week ago (within the history kept) the answer is still complete.
    const weekAgo = await factsAsOf(db.sql, host, daysAgo(7), 'package');
    expect(new Map(weekAgo.map((r) => [r.key, r.value]))).toEqual(
      new Map(p1.map((f) => [f.key, f.value])),
    );

    // Nothing more to do on a second run; shorter settings take more.
    const again = await enforceRetention(db.sql, {}, { now: NOW });
    expect(again.every((s) => s.removed === 0)).toBe(true);
    await enforceRetention(db.sql, { rawMetricsDays: 5, probeLogDays: 3 }, { now: NOW });
    expect(await ages(db.sql, 'host_metrics', 'time', host)).toEqual([0]);
    expect(await ages(db.sql, 'intel_probes', 'started_at', host)).toEqual([1]);
    await expect(enforceRetention(db.sql, { rollupDays: 0 })).rejects.toThrow(RangeError);
  });
});
