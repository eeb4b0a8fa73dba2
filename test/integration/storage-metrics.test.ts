// Metrics: hypertables (or plain tables), rates from recorded counters, batched ingest,
// range queries and hourly rollups — on TimescaleDB and on plain PostgreSQL.
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../collectors/rates.ts';
import { fieldColumns } from '../../sql/metric-fields.ts';
import { insertMetrics, type MetricRows, toMetricRows } from '../../sql/metrics.ts';
import { metricsRange } from '../../sql/metrics-range.ts';
import { rollupMetrics } from '../../sql/rollups.ts';
import { useTestDatabase } from '../support/db.ts';
import { createHosts, recordedMetrics, sampleSeries } from './storage-fixtures.ts';

const METRIC_TABLES = ['host_metrics', 'fs_metrics', 'net_metrics', 'disk_metrics'];

/** Every sample's rows, rates taken from the sample before. */
function rowsOf(hostId: string, samples: readonly Sample[]): MetricRows[] {
  return samples.map((s, i) => toMetricRows(hostId, s.at, samples[i - 1], s.metrics));
}

/** Columns stored exactly (bigint, integer, double precision); the others are real. */
const EXACT = /^(mem|swap|procs|uptime)/;

/** real columns keep ~7 significant digits. */
const close = (actual: number | null | undefined, expected: number) =>
  expect(actual ?? Number.NaN).toBeCloseTo(
    expected,
    Math.max(0, 5 - Math.ceil(Math.log10(Math.abs(expected) + 1))),
  );

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('metrics on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });

  it(`keeps metrics in ${timescale ? 'hypertables' : 'plain tables'}`, async () => {
    const [ext] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_extension where extname = 'timescaledb'`;
    expect(ext?.n).toBe(timescale ? 1 : 0);
    if (timescale) {
      const rows = await db.sql<{ name: string; dims: number }[]>`
        select hypertable_name as name, num_dimensions as dims
        from timescaledb_information.hypertables order by 1`;
      expect(rows.map((r) => r.name)).toEqual(
        [...METRIC_TABLES, 'fs_metrics_hourly', 'host_metrics_hourly', 'intel_probes'].sort(),
      );
      const dims = await db.sql<{ name: string; column: string; interval: string }[]>`
        select hypertable_name as name, column_name as column, time_interval::text as interval
        from timescaledb_information.dimensions where hypertable_name = any(${METRIC_TABLES})`;
      expect(dims.every((d) => d.column === 'time' && d.interval === '1 day')).toBe(true);
    } else {
      const rows = await db.sql<{ name: string; kind: string }[]>`
        select relname as name, relkind::text as kind from pg_class
        where relname = any(${METRIC_TABLES}) order by 1`;
      expect(rows).toEqual(METRIC_TABLES.sort().map((name) => ({ name, kind: 'r' })));
    }
  });

  it('stores rates computed from two recorded samples, and none for the first', async () => {
    const [host = ''] = await createHosts(db.sql, 'rates');
    const t0 = recordedMetrics('t0');
    const t1 = recordedMetrics('t1');
    const first = toMetricRows(host, t0.at, undefined, t0.metrics);
    expect(first.host[0]).toMatchObject({ cpuUserPct: null, cpuIdlePct: null, load1: 1.04 });
    expect(first.net).toEqual([]);
    expect(first.disk).toEqual([]);
    expect(first.fs.map((f) => f.mount)).toEqual(['/']);

    const second = toMetricRows(host, t1.at, t0, t1.metrics);
    // /proc/stat between the samples: user +88, system +18, idle +440, iowait +5,
    // softirq +1, steal +5 jiffies (see test/fixtures/metrics).
    const total = 88 + 18 + 440 + 5 + 1 + 5;
    expect(second.host[0]?.cpuUserPct).toBeCloseTo((88 / total) * 100, 10);
    expect(second.host[0]?.cpuIdlePct).toBeCloseTo((440 / total) * 100, 10);
    const seconds = (t1.at.getTime() - t0.at.getTime()) / 1000;
    const lo = (m: Sample) => m.metrics.interfaces?.find((n) => n.name === 'lo');
    const loRate = ((lo(t1)?.rxBytes ?? 0) - (lo(t0)?.rxBytes ?? 0)) / seconds;
    expect(loRate).toBeGreaterThan(50_000 / seconds); // 50 datagrams of 1,000 bytes
    expect(second.net.find((n) => n.iface === 'lo')?.rxBytesPerSec).toBeCloseTo(loRate, 6);
    const vda = second.disk.find((d) => d.device === 'vda');
    expect(vda?.writeBytesPerSec).toBeGreaterThan((64 * 1024 * 1024) / seconds);

    expect(await insertMetrics(db.sql, [first, second])).toEqual({
      host: 2,
      fs: 2,
      net: second.net.length,
      disk: second.disk.length,
    });
    const range = { from: t0.at, to: new Date(t1.at.getTime() + 1000), stepSeconds: 1 };
    const level = await metricsRange(db.sql, host, { ...range, series: 'host' });
    expect(level.source).toBe('raw');
    expect(level.points.map((p) => p.avg.cpuUserPct === null)).toEqual([true, false]);
    close(level.points[1]?.avg.cpuUserPct, (88 / total) * 100);
    expect(level.points[1]?.avg.memTotalBytes).toBe(t1.metrics.memory?.totalBytes);
    expect(level.points[1]?.avg.uptimeSeconds).toBe(t1.metrics.uptimeSeconds);
    const net = await metricsRange(db.sql, host, { ...range, series: 'net' });
    expect(net.points.map((p) => p.label).sort()).toEqual(second.net.map((n) => n.iface).sort());
    close(net.points.find((p) => p.label === 'lo')?.avg.rxBytesPerSec, loRate);
    const disk = await metricsRange(db.sql, host, { ...range, series: 'disk' });
    close(
      disk.points.find((p) => p.label === 'vda')?.avg.writeBytesPerSec,
      vda?.writeBytesPerSec ?? 0,
    );
    const fs = await metricsRange(db.sql, host, { ...range, series: 'fs' });
    expect(fs.points.map((p) => [p.label, p.avg.sizeBytes])).toEqual([
      ['/', t0.metrics.filesystems?.[0]?.sizeBytes],
      ['/', t1.metrics.filesystems?.[0]?.sizeBytes],
    ]);
  });

  it('stores no rate across a counter reset, never a negative one', async () => {
    const [host = ''] = await createHosts(db.sql, 'reset');
    const t0 = recordedMetrics('t0');
    const t1 = recordedMetrics('t1');
    // A reboot: the older counters come after the newer ones (uptime went back too).
    const later = new Date(t1.at.getTime() + 60_000);
    const rebooted = toMetricRows(host, later, t1, t0.metrics);
    expect(rebooted.host[0]).toMatchObject({ cpuUserPct: null, load1: 1.04 });
    expect(rebooted.net).toEqual([]);
    expect(rebooted.disk).toEqual([]);
    // One interface recreated (its counters restarted), the others counting on.
    const lo = t1.metrics.interfaces?.find((n) => n.name === 'lo');
    const recreated = {
      ...t1.metrics,
      interfaces: t1.metrics.interfaces?.map((n) =>
        n === lo ? { ...n, rxBytes: 10, txBytes: 10 } : n,
      ),
    };
    const partial = toMetricRows(host, later, t1, recreated);
    expect(partial.net.map((n) => n.iface).sort()).toEqual(['eth0', 'ifb0', 'ifb1']);
    await insertMetrics(db.sql, [rebooted, partial]);
    const [negative] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from net_metrics
      where host_id = ${host} and least(rx_bytes_per_s, tx_bytes_per_s, rx_packets_per_s) < 0`;
    expect(negative?.n).toBe(0);
  });

  it('ingests many hosts in one batch, one statement per table', async () => {
    const hosts = await createHosts(db.sql, 'batch', 300);
    const start = new Date('2026-11-20T00:00:00Z');
    const batch = hosts.flatMap((h, i) => rowsOf(h, sampleSeries(start, 3, 60, i + 1)));
    const counts = await insertMetrics(db.sql, batch);
    expect(counts.host).toBe(900);
    expect(counts.fs).toBe(900);
    expect(counts.net).toBe(300 * 2 * 4);
    expect(counts.disk).toBe(300 * 2 * (batch[1]?.disk.length ?? 0));
    const [rows] = await db.sql<{ host: number; net: number }[]>`
      select (select count(*)::int from host_metrics where host_id = any(${hosts})) as host,
             (select count(*)::int from net_metrics where host_id = any(${hosts})) as net`;
    expect(rows).toEqual({ host: 900, net: 2400 });
  });

  it('averages and maximises each bucket of a range', async () => {
    const [host = ''] = await createHosts(db.sql, 'range');
    const start = new Date('2026-11-21T10:00:00Z');
    const samples = sampleSeries(start, 60, 60, 7);
    const rows = rowsOf(host, samples);
    await insertMetrics(db.sql, rows);
    const range = await metricsRange(db.sql, host, {
      series: 'host',
      from: new Date(start.getTime() + 7 * 60_000), // inside the first 10-minute bucket
      to: new Date(start.getTime() + 60 * 60_000),
      stepSeconds: 600,
    });
    expect(range.points.map((p) => p.time.toISOString())).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => new Date(start.getTime() + i * 600_000).toISOString()),
    );
    for (const [i, point] of range.points.entries()) {
      const inBucket = rows.slice(i * 10, i * 10 + 10).flatMap((r) => r.host);
      expect(point.samples).toBe(10);
      const loads = inBucket.map((r) => Math.fround(r.load1 ?? 0));
      close(point.avg.load1, loads.reduce((a, b) => a + b, 0) / loads.length);
      close(point.max.load1, Math.max(...loads));
      const cpu = inBucket.map((r) => r.cpuUserPct).filter((v): v is number => v !== null);
      close(point.avg.cpuUserPct, cpu.map(Math.fround).reduce((a, b) => a + b, 0) / cpu.length);
    }
    await expect(
      metricsRange(db.sql, host, { series: 'net', from: start, to: start, stepSeconds: 60 }),
    ).rejects.toThrow(RangeError);
    await expect(
      metricsRange(db.sql, host, {
        series: 'net',
        from: start,
        to: new Date(start.getTime() + 86_400_000),
        stepSeconds: 3600,
        source: 'hourly',
      }),
    ).rejects.toThrow(RangeError);
  });

  it('rolls up hours that match the raw samples, idempotently, and reads them back', async () => {
    const hosts = await createHosts(db.sql, 'rollup', 2);
    const start = new Date('2026-11-22T00:00:00Z');
    const all = hosts.map((h, i) => rowsOf(h, sampleSeries(start, 5 * 60, 60, 100 + i)));
    await insertMetrics(db.sql, all.flat());

    // Roll up the first three hours only: the watermark sits at 03:00.
    const partial = await rollupMetrics(db.sql, {
      since: start,
      until: new Date(start.getTime() + 3 * 3600_000 + 59_000),
    });
    expect(partial.map((r) => [r.rollup, r.from, r.until])).toEqual([
      ['host_metrics_hourly', start, new Date(start.getTime() + 3 * 3600_000)],
      ['fs_metrics_hourly', start, new Date(start.getTime() + 3 * 3600_000)],
    ]);
    const [host0 = '', host1 = ''] = hosts;
    const [count] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from host_metrics_hourly where host_id = any(${hosts})`;
    expect(count?.n).toBe(6);

    // Each hourly row is the average and maximum of its hour's raw rows.
    const hourly = await db.sql<Record<string, number | Date | string>[]>`
      select * from host_metrics_hourly where host_id = ${host0} order by bucket`;
    for (const [h, row] of hourly.entries()) {
      const raw = (all[0] ?? []).slice(h * 60, h * 60 + 60).flatMap((r) => r.host);
      expect(row.samples).toBe(60);
      for (const [field, column] of fieldColumns('host')) {
        const values = raw.map((r) => r[field]).filter((v): v is number => v !== null);
        const stored = values.map((v) => (EXACT.test(column) ? v : Math.fround(v)));
        if (stored.length === 0) continue;
        close(row[`${column}_avg`] as number, stored.reduce((a, b) => a + b, 0) / stored.length);
        close(row[`${column}_max`] as number, Math.max(...stored));
      }
    }
    const fsHourly = await db.sql<{ mount: string; samples: number; used_bytes_max: number }[]>`
      select mount, samples, used_bytes_max from fs_metrics_hourly
      where host_id = ${host1} order by bucket`;
    expect(fsHourly.map((r) => [r.mount, r.samples])).toEqual([
      ['/', 60],
      ['/', 60],
      ['/', 60],
    ]);
    const fsRaw = (all[1] ?? []).slice(120, 180).flatMap((r) => r.fs);
    expect(fsHourly[2]?.used_bytes_max).toBe(Math.max(...fsRaw.map((f) => f.usedBytes)));

    // Running again changes nothing.
    const before = await db.sql`select * from host_metrics_hourly order by host_id, bucket`;
    await rollupMetrics(db.sql, { until: new Date(start.getTime() + 3 * 3600_000) });
    expect(await db.sql`select * from host_metrics_hourly order by host_id, bucket`).toEqual(
      before,
    );

    // Hourly steps read the rollups up to the watermark and raw samples after it: the same
    // answer as the raw samples alone.
    const query = {
      series: 'host' as const,
      from: start,
      to: new Date(start.getTime() + 5 * 3600_000),
      stepSeconds: 3600,
    };
    const raw = await metricsRange(db.sql, host0, { ...query, source: 'raw' });
    const mixed = await metricsRange(db.sql, host0, query);
    expect(mixed.source).toBe('hourly');
    expect(mixed.points).toHaveLength(5);
    for (const [i, point] of mixed.points.entries()) {
      const r = raw.points[i];
      expect(point.time).toEqual(r?.time);
      expect(point.samples).toBe(r?.samples);
      close(point.avg.load5, r?.avg.load5 ?? Number.NaN);
      close(point.max.cpuUserPct, r?.max.cpuUserPct ?? Number.NaN);
    }
    // Coarser than an hour: hourly averages weighted by their samples.
    const daily = await metricsRange(db.sql, host0, { ...query, stepSeconds: 86_400 });
    const rawDaily = await metricsRange(db.sql, host0, {
      ...query,
      stepSeconds: 86_400,
      source: 'raw',
    });
    expect(daily.points).toHaveLength(1);
    expect(daily.points[0]?.samples).toBe(300);
    close(daily.points[0]?.avg.memUsedBytes, rawDaily.points[0]?.avg.memUsedBytes ?? Number.NaN);

    // A sample arriving late into a rolled-up hour is taken in by the next run (lookback).
    const late = toMetricRows(host0, new Date(start.getTime() + 2 * 3600_000 + 30_500), undefined, {
      load: { load1: 99, load5: 99, load15: 99 },
    });
    await insertMetrics(db.sql, late);
    await rollupMetrics(db.sql, { until: new Date(start.getTime() + 5 * 3600_000) });
    const [hour2] = await db.sql<{ samples: number; load1_max: number }[]>`
      select samples, load1_max from host_metrics_hourly
      where host_id = ${host0} and bucket = ${new Date(start.getTime() + 2 * 3600_000)}`;
    expect(hour2).toEqual({ samples: 61, load1_max: 99 });
    const [all5] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from host_metrics_hourly where host_id = any(${hosts})`;
    expect(all5?.n).toBe(10);
  });
});
