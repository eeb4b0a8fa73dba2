// Every query of the Grafana dashboards, run against TimescaleDB with data from real probes of
// the dev host: macros substituted as Grafana does, each query must run and return rows of the
// columns its panel expects. Fails, with the reason, while the tables it reads do not exist.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ProbeResult, probe } from '../../collectors/probe.ts';
import { computeRates, type Rates } from '../../collectors/rates.ts';
import type { RawMetrics } from '../../collectors/types.ts';
import { applyProbe } from '../../sql/facts.ts';
import { recordProbe } from '../../sql/probes.ts';
import { useTestDatabase } from '../support/db.ts';
import { testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';
import { dashboardQueries, interpolateGrafanaSql } from '../unit/deploy/grafana-sql.ts';

const db = useTestDatabase();
const host = testHost('deb12');

const REQUIRED_TABLES = [
  'hosts',
  'intel_probes',
  'host_facts',
  'host_metrics',
  'fs_metrics',
  'net_metrics',
  'disk_metrics',
  'host_metrics_hourly',
  'fs_metrics_hourly',
];

const dashboardDir = path.resolve(import.meta.dirname, '../../deploy/grafana/dashboards');
const queries = readdirSync(dashboardDir)
  .filter((f) => f.endsWith('.json'))
  .flatMap((file) =>
    dashboardQueries(JSON.parse(readFileSync(path.join(dashboardDir, file), 'utf8'))).map((q) => ({
      ...q,
      name: `${file}: ${q.source}`,
    })),
  );

// The columns each table-format query answers, as its panel displays them.
const TABLE_COLUMNS: Record<string, string[]> = {
  'fleet-overview.json: Hosts registered': ['enabled', 'disabled'],
  'fleet-overview.json: Reporting metrics': ['hosts'],
  'fleet-overview.json: Not probed successfully in range': ['hosts'],
  'fleet-overview.json: Failed probes in range': ['probes'],
  'fleet-overview.json: Operating systems': ['os', 'hosts'],
  'fleet-overview.json: Hosts': [
    'id',
    'host',
    'address',
    'groups',
    'last sample',
    'cpu %',
    'load1',
    'memory %',
    'fullest filesystem %',
    'last probe',
    'last probe at',
    'last error',
  ],
  'fleet-overview.json: Fullest filesystems': [
    'host',
    'mount',
    'device',
    'type',
    'size',
    'available',
    'used %',
    'inodes used %',
  ],
  'host-detail.json: Last sample': ['last sample'],
  'host-detail.json: Uptime': ['uptime'],
  'host-detail.json: Memory': ['total', 'available'],
  'host-detail.json: Probes in range': ['succeeded', 'failed'],
  'host-detail.json: Operating system': ['os', 'kernel'],
  'host-detail.json: Filesystems': [
    'mount',
    'device',
    'type',
    'size',
    'used',
    'available',
    'used %',
    'inodes used %',
    'sampled',
  ],
  'host-detail.json: Probe log': [
    'started',
    'type',
    'reason',
    'status',
    'duration',
    'fact changes',
    'error code',
    'error',
  ],
  'host-detail.json: variable host': ['__text', '__value'],
};

// PostgreSQL type oids: what Grafana can plot as a value, and as the time.
const NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);
const TIMESTAMP = new Set([1114, 1184]);
const TEXT = new Set([25, 1043]);

let hostId = '';

beforeAll(async () => {
  const sql = db.sql;
  const rows = await sql<{ name: string; present: boolean }[]>`
    select name, to_regclass(name) is not null as present
    from unnest(${REQUIRED_TABLES}::text[]) as name`;
  const missing = rows.filter((r) => !r.present).map((r) => r.name);
  if (missing.length > 0) {
    throw new Error(
      `the storage migrations do not create ${missing.join(', ')}: the Grafana dashboards ` +
        'query these tables (sql/migrations), so they cannot be checked yet',
    );
  }

  const [created] = await sql<{ id: string }[]>`
    insert into hosts (name, address, port, username)
    values (${host.name}, ${host.address}, ${host.port}, ${host.username})
    returning id`;
  hostId = created?.id as string;

  // A facts probe: os and the rest, written as hostintel writes them.
  const facts = await probe(targetFor(host), { type: 'facts', sudo: host.sudo });
  expect(facts.outcome, facts.error).toBe('ok');
  await applyProbe(sql, hostId, facts);

  // Two metrics probes a little apart, so that counters become rates.
  const first = await metricsProbe();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const second = await metricsProbe();
  const sample = (r: ProbeResult) => ({ at: r.startedAt, metrics: r.metrics as RawMetrics });
  const rates = computeRates(sample(first), sample(second));
  expect(rates.cpu).not.toBeNull();
  await insertMetrics(first.startedAt, first.metrics as RawMetrics, null);
  await insertMetrics(second.startedAt, second.metrics as RawMetrics, rates);

  // A probe that fails for real: nothing listens on port 1.
  const failed = await probe(targetFor(host, { port: 1 }), { type: 'metrics', sudo: false });
  expect(failed.outcome).toBe('failed');
  for (const result of [first, second, failed]) await record(result);

  await rollUp();
}, 120_000);

async function metricsProbe(): Promise<ProbeResult> {
  const result = await probe(targetFor(host), { type: 'metrics', sudo: host.sudo });
  expect(result.outcome, result.error).toBe('ok');
  expect(result.metrics).toBeDefined();
  return result;
}

async function record(result: ProbeResult): Promise<void> {
  await recordProbe(db.sql, {
    id: randomUUID(),
    started: false,
    hostId,
    type: result.type,
    reason: 'scheduled',
    status: result.outcome,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    collectors: {},
    bytes: result.bytes,
    error: result.error ?? null,
    errorCode: result.errorCode ?? null,
    factChanges: 0,
  });
}

/** The rows the metrics tables get for one sample; rates only from the second sample on. */
async function insertMetrics(time: Date, m: RawMetrics, rates: Rates | null): Promise<void> {
  const sql = db.sql;
  await sql`insert into host_metrics ${sql([
    {
      time,
      host_id: hostId,
      cpu_user_pct: rates?.cpu?.userPct ?? null,
      cpu_system_pct: rates?.cpu?.systemPct ?? null,
      cpu_iowait_pct: rates?.cpu?.iowaitPct ?? null,
      cpu_steal_pct: rates?.cpu?.stealPct ?? null,
      cpu_idle_pct: rates?.cpu?.idlePct ?? null,
      load1: m.load?.load1 ?? null,
      load5: m.load?.load5 ?? null,
      load15: m.load?.load15 ?? null,
      mem_total_bytes: m.memory?.totalBytes ?? null,
      mem_available_bytes: m.memory?.availableBytes ?? null,
      mem_used_bytes: m.memory?.usedBytes ?? null,
      swap_total_bytes: m.memory?.swapTotalBytes ?? null,
      swap_used_bytes: m.memory?.swapUsedBytes ?? null,
      procs_running: m.processes?.running ?? null,
      procs_total: m.processes?.total ?? null,
      uptime_s: m.uptimeSeconds ?? null,
    },
  ])}`;
  const filesystems = (m.filesystems ?? []).map((f) => ({
    time,
    host_id: hostId,
    mount: f.mount,
    device: f.device,
    fstype: f.fstype,
    size_bytes: f.sizeBytes,
    used_bytes: f.usedBytes,
    avail_bytes: f.availBytes,
    inodes_total: f.inodesTotal,
    inodes_used: f.inodesUsed,
  }));
  expect(filesystems.length).toBeGreaterThan(0);
  await sql`insert into fs_metrics ${sql(filesystems)}`;
  if (!rates) return;
  const interfaces = rates.interfaces.map((i) => ({
    time,
    host_id: hostId,
    iface: i.name,
    rx_bytes_per_s: i.rxBytesPerSec,
    tx_bytes_per_s: i.txBytesPerSec,
    rx_packets_per_s: i.rxPacketsPerSec,
    tx_packets_per_s: i.txPacketsPerSec,
    rx_errors_per_s: i.rxErrorsPerSec,
    tx_errors_per_s: i.txErrorsPerSec,
  }));
  expect(interfaces.length).toBeGreaterThan(0);
  await sql`insert into net_metrics ${sql(interfaces)}`;
  const disks = rates.disks.map((d) => ({
    time,
    host_id: hostId,
    device: d.name,
    read_bytes_per_s: d.readBytesPerSec,
    write_bytes_per_s: d.writeBytesPerSec,
    read_iops: d.readIops,
    write_iops: d.writeIops,
    util_pct: d.utilPct,
  }));
  if (disks.length > 0) await sql`insert into disk_metrics ${sql(disks)}`;
}

/** Hourly rollups of the raw rows: average and maximum of every column the rollup keeps. */
async function rollUp(): Promise<void> {
  const sql = db.sql;
  for (const [rollup, raw, keys] of [
    ['host_metrics_hourly', 'host_metrics', ['host_id']],
    ['fs_metrics_hourly', 'fs_metrics', ['host_id', 'mount']],
  ] as const) {
    const columns = await sql<{ column_name: string }[]>`
      select column_name from information_schema.columns
      where table_name = ${rollup} and column_name like '%\_avg'`;
    const metrics = columns.map((c) => c.column_name.slice(0, -'_avg'.length));
    const selects = metrics.flatMap((m) => [`avg(${m})`, `max(${m})`]).join(', ');
    const targets = metrics.flatMap((m) => [`${m}_avg`, `${m}_max`]).join(', ');
    const group = keys.join(', ');
    // Identifiers from information_schema and constants: nothing here comes from outside.
    await sql.unsafe(
      `insert into ${rollup} (bucket, ${group}, samples, ${targets})
       select metric_bucket('1 hour', time), ${group}, count(*), ${selects}
       from ${raw} where host_id = $1 group by 1, ${group}`,
      [hostId],
    );
  }
}

describe('Grafana dashboard queries against TimescaleDB', () => {
  it('covers both dashboards', () => {
    expect(queries.filter((q) => q.name.startsWith('fleet-overview.json')).length).toBeGreaterThan(
      5,
    );
    expect(queries.filter((q) => q.name.startsWith('host-detail.json')).length).toBeGreaterThan(5);
    for (const q of queries) {
      if (q.format === 'table') expect(TABLE_COLUMNS, q.name).toHaveProperty([q.name]);
    }
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s', async (_, query) => {
    const now = Date.now();
    const text = interpolateGrafanaSql(query.rawSql, {
      from: new Date(now - 2 * 86_400_000),
      to: new Date(now + 60_000),
      intervalMs: 10_000,
      variables: { host: hostId },
      timescaledb: true,
    });
    // The dashboard's own SQL, run as Grafana would run it.
    const result = await db.sql.unsafe(text);
    expect(result.length, text).toBeGreaterThan(0);
    const columns = result.columns.map((c) => ({ name: c.name, type: c.type }));

    if (query.format === 'table') {
      expect(columns.map((c) => c.name)).toEqual(TABLE_COLUMNS[query.name]);
      return;
    }
    const time = columns.find((c) => c.name === 'time');
    expect(time && TIMESTAMP.has(time.type), `${query.name}: a timestamp "time" column`).toBe(true);
    const values = columns.filter((c) => c.name !== 'time' && c.name !== 'metric');
    expect(values.length).toBeGreaterThan(0);
    for (const c of values) expect(NUMERIC.has(c.type), `${c.name} is numeric`).toBe(true);
    const metric = columns.find((c) => c.name === 'metric');
    if (metric) expect(TEXT.has(metric.type)).toBe(true);
    const rows = result as unknown as Record<string, unknown>[];
    const plotted = rows.some((row) => values.some((c) => row[c.name] !== null));
    expect(plotted, `${query.name} has a value to plot`).toBe(true);
  });

  it('the host variable lists the probed host', async () => {
    const query = queries.find((q) => q.name === 'host-detail.json: variable host');
    const rows = await db.sql.unsafe(query?.rawSql ?? '');
    expect(rows).toEqual([{ __text: host.name, __value: hostId }]);
  });
});
