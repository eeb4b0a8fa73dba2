// Metrics ingest through binary COPY (sql/copy.ts): hostile host strings and every column
// type round-trip exactly, a table the server refuses fails alone and never hangs, and
// concurrent batches share a small pool with other queries — on TimescaleDB and plain
// PostgreSQL.
import { describe, expect, it } from 'vitest';
import { fieldColumns } from '../../sql/metric-fields.ts';
import {
  type HostMetricRow,
  insertMetrics,
  type MetricRows,
  MetricsWriteError,
  toMetricRows,
} from '../../sql/metrics.ts';
import { useTestDatabase } from '../support/db.ts';
import { createHosts, recordedMetrics, sampleSeries } from './storage-fixtures.ts';

/** What a host may put in an interface, mount, device or fstype name, read back byte for byte. */
const HOSTILE = [
  'tab\there',
  'new\nline',
  'carriage\rreturn\r\n',
  'back\\slash\\\\and\\N',
  '\\N',
  '\\.',
  "single ' quote",
  'double " quote',
  '{braces},[brackets]',
  '',
  ' leading and trailing ',
  'ünïcödé ✓ 日本語 עברית',
  'emoji 🧪🔥 e\u0301 (combining)',
  'x'.repeat(5_000),
  'NULL',
  '\u007f\u0085\u2028',
];

function hostileRows(host: string): MetricRows {
  const t0 = recordedMetrics('t0');
  const t1 = recordedMetrics('t1');
  const base = toMetricRows(host, t1.at, t0, t1.metrics);
  const fs = base.fs[0];
  const net = base.net[0];
  const disk = base.disk[0];
  if (!(fs && net && disk)) throw new Error('the recorded sample has no fs, net or disk row');
  return {
    host: base.host,
    fs: HOSTILE.map((s, i) => ({ ...fs, mount: s, device: `${s}#${i}`, fstype: s.slice(0, 64) })),
    net: HOSTILE.map((s) => ({ ...net, iface: s })),
    disk: HOSTILE.map((s) => ({ ...disk, device: s })),
  };
}

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('metrics ingest by binary COPY on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });

  it('stores hostile label strings exactly as the host sent them', async () => {
    const [host = ''] = await createHosts(db.sql, 'hostile');
    const rows = hostileRows(host);
    expect(await insertMetrics(db.sql, rows)).toEqual({
      host: 1,
      fs: HOSTILE.length,
      net: HOSTILE.length,
      disk: HOSTILE.length,
    });
    const fs = await db.sql<{ mount: string; device: string; fstype: string }[]>`
      select mount, device, fstype from fs_metrics where host_id = ${host}`;
    const byDevice = new Map(fs.map((r) => [r.device, r]));
    for (const [i, s] of HOSTILE.entries()) {
      expect(byDevice.get(`${s}#${i}`)).toEqual({
        mount: s,
        device: `${s}#${i}`,
        fstype: s.slice(0, 64),
      });
    }
    const net = await db.sql<{ iface: string; n: number }[]>`
      select iface, count(*)::int as n from net_metrics where host_id = ${host} group by iface`;
    expect(net.map((r) => r.iface).sort()).toEqual([...HOSTILE].sort());
    expect(net.every((r) => r.n === 1)).toBe(true);
    const disk = await db.sql<{ device: string; bytes: number }[]>`
      select device, octet_length(device) as bytes from disk_metrics where host_id = ${host}`;
    expect(disk.map((r) => r.device).sort()).toEqual([...HOSTILE].sort());
    for (const r of disk) expect(r.bytes).toBe(Buffer.byteLength(r.device));
  });

  it('stores NUL, which no PostgreSQL text holds, as U+FFFD instead of refusing the batch', async () => {
    const [host = ''] = await createHosts(db.sql, 'nul');
    const rows = hostileRows(host);
    const net = rows.net[0] as MetricRows['net'][number];
    await insertMetrics(db.sql, { host: [], fs: [], disk: [], net: [{ ...net, iface: 'a\0b' }] });
    const [row] = await db.sql<{ iface: string }[]>`
      select iface from net_metrics where host_id = ${host}`;
    expect(row?.iface).toBe('a\ufffdb');
  });

  it('round-trips every column of every table, in its type', async () => {
    const [host = ''] = await createHosts(db.sql, 'columns');
    const t0 = recordedMetrics('t0');
    const t1 = recordedMetrics('t1');
    const rows = toMetricRows(host, t1.at, t0, t1.metrics);
    await insertMetrics(db.sql, rows);
    // real columns hold a float4: compare at that precision; the others are exact.
    const exact = (column: string) =>
      /^(mem|swap|procs|uptime|size|used|avail|inodes)/.test(column);
    const same = (column: string, back: unknown, sent: number | null) =>
      sent === null || exact(column)
        ? [column, back === null ? null : Number(back)]
        : [column, Math.fround(Number(back)) === Math.fround(sent)];
    const expected = (column: string, sent: number | null) =>
      sent === null || exact(column) ? [column, sent] : [column, true];
    const tables = [
      ['host', 'host_metrics', null],
      ['fs', 'fs_metrics', 'mount'],
      ['net', 'net_metrics', 'iface'],
      ['disk', 'disk_metrics', 'device'],
    ] as const;
    for (const [series, table, label] of tables) {
      const stored = await db.sql<Record<string, unknown>[]>`
        select * from ${db.sql(table)} where host_id = ${host}`;
      const sent = rows[series] as unknown as Record<string, unknown>[];
      expect(sent.length).toBeGreaterThan(0);
      expect(stored).toHaveLength(sent.length);
      for (const row of sent) {
        // The label is named alike in rows and columns.
        const got = stored.find((r) => label === null || r[label] === row[label]);
        expect(got?.time).toEqual(t1.at);
        expect(got?.host_id).toBe(host);
        for (const [field, column] of fieldColumns(series)) {
          const value = row[field as string] as number | null;
          expect(same(column, got?.[column], value)).toEqual(expected(column, value));
        }
      }
    }
  });

  it('stores NULL for a value its column cannot hold, and rounds fractional integers', async () => {
    const [host = ''] = await createHosts(db.sql, 'edges');
    const at = new Date('2026-11-23T00:00:00.123Z');
    const row: HostMetricRow = {
      time: at,
      hostId: host,
      cpuUserPct: Number.NaN,
      cpuSystemPct: Number.POSITIVE_INFINITY,
      cpuIowaitPct: 1e39, // beyond real
      cpuStealPct: -0.5,
      cpuIdlePct: null,
      load1: 0,
      load5: 1e-3,
      load15: 12.25,
      memTotalBytes: 2 ** 53 - 1,
      memAvailableBytes: -(2 ** 40),
      memUsedBytes: 1234.6,
      swapTotalBytes: 2 ** 64, // beyond bigint
      swapUsedBytes: Number.NaN,
      procsRunning: 2 ** 31, // beyond integer
      procsTotal: -(2 ** 31),
      uptimeSeconds: 41158.26,
    };
    await insertMetrics(db.sql, { host: [row], fs: [], net: [], disk: [] });
    const [got] = await db.sql<Record<string, unknown>[]>`
      select time, cpu_user_pct, cpu_system_pct, cpu_iowait_pct, cpu_steal_pct, cpu_idle_pct,
        load1, load5, load15, mem_total_bytes::text, mem_available_bytes::text,
        mem_used_bytes::text, swap_total_bytes, swap_used_bytes, procs_running, procs_total,
        uptime_s
      from host_metrics where host_id = ${host}`;
    expect(got).toEqual({
      time: at,
      cpu_user_pct: null,
      cpu_system_pct: null,
      cpu_iowait_pct: null,
      cpu_steal_pct: -0.5,
      cpu_idle_pct: null,
      load1: 0,
      load5: 0.001,
      load15: 12.25,
      mem_total_bytes: '9007199254740991',
      mem_available_bytes: '-1099511627776',
      mem_used_bytes: '1235',
      swap_total_bytes: null,
      swap_used_bytes: null,
      procs_running: null,
      procs_total: -(2 ** 31),
      uptime_s: 41158.26,
    });
  });

  it('fails a table the server refuses on its own, without hanging, and retries only it', async () => {
    const hosts = await createHosts(db.sql, 'refused', 20);
    const start = new Date('2026-11-24T00:00:00Z');
    const batch = hosts.map((h, i) => {
      const s = sampleSeries(start, 2, 60, 500 + i);
      const rows = toMetricRows(h, s[1]?.at ?? start, s[0], s[1]?.metrics ?? {});
      // The last host's eth0 carries the name the server is told to refuse.
      const refused = i === hosts.length - 1 ? 'refuse-me' : 'eth0';
      return {
        ...rows,
        net: rows.net.map((n) => (n.iface === 'eth0' ? { ...n, iface: refused } : n)),
      };
    });
    const perSample = batch[0] as MetricRows;
    // The server checks each row after the client has sent the whole COPY: the failure comes
    // after the data, the case postgres.js alone never settles (porsager/postgres#1173).
    await db.sql`alter table net_metrics add constraint refuse_me check (iface <> 'refuse-me')`;
    let error: unknown;
    try {
      await insertMetrics(db.sql, batch);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetricsWriteError);
    const failure = error as MetricsWriteError;
    expect(failure.message).toMatch(/^metrics not written to net: .*refuse_me/);
    expect(failure.written).toEqual({
      host: 20,
      fs: 20 * perSample.fs.length,
      net: 0,
      disk: 20 * perSample.disk.length,
    });
    expect(failure.unwritten).toHaveLength(20);
    expect(failure.unwritten.every((r) => r.host.length + r.fs.length + r.disk.length === 0)).toBe(
      true,
    );
    expect(failure.unwritten.flatMap((r) => r.net)).toEqual(batch.flatMap((r) => r.net));

    // The connections are back in the pool, none left in a failed COPY or transaction.
    const [idle] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`;
    expect(idle?.n).toBe(0);
    await db.sql`alter table net_metrics drop constraint refuse_me`;
    expect(await insertMetrics(db.sql, failure.unwritten)).toEqual({
      host: 0,
      fs: 0,
      net: 20 * perSample.net.length,
      disk: 0,
    });
    const [counts] = await db.sql<{ host: number; net: number }[]>`
      select (select count(*)::int from host_metrics where host_id = any(${hosts})) as host,
             (select count(*)::int from net_metrics where host_id = any(${hosts})) as net`;
    expect(counts).toEqual({ host: 20, net: 20 * perSample.net.length });
  });

  it('runs concurrent batches beside other queries on a small pool', async () => {
    const hosts = await createHosts(db.sql, 'pool', 40);
    const start = new Date('2026-11-25T00:00:00Z');
    const batches = [0, 1, 2].map((b) =>
      hosts.map((h, i) => {
        const s = sampleSeries(new Date(start.getTime() + b * 3_600_000), 2, 60, 900 + i);
        return toMetricRows(h, s[1]?.at ?? start, s[0], s[1]?.metrics ?? {});
      }),
    );
    // The test database's pool has 4 connections: three batches of four COPYs each plus 30
    // ordinary queries contend for them, and ordinary queries get pipelined onto busy ones.
    const others = Array.from(
      { length: 30 },
      (_, i) => db.sql<{ n: number }[]>`select ${i}::int as n`,
    );
    const [written, answers] = await Promise.all([
      Promise.all(batches.map((b) => insertMetrics(db.sql, b))),
      Promise.all(others),
    ]);
    expect(answers.map((r) => r[0]?.n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const one = batches[0]?.[0] as MetricRows;
    for (const counts of written) {
      expect(counts).toEqual({
        host: 40,
        fs: 40 * one.fs.length,
        net: 40 * one.net.length,
        disk: 40 * one.disk.length,
      });
    }
    const [stored] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from net_metrics where host_id = any(${hosts})`;
    expect(stored?.n).toBe(3 * 40 * one.net.length);
  });
});
