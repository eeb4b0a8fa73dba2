// Storage benchmark. In a database of its own (created and dropped here):
//   facts    2,000 hosts × 1,500 real package records (test/integration/storage-fixtures.ts):
//            an initial load, a re-probe with nothing changed, a re-probe with 5 packages
//            updated per host — through applyProbe (write-on-change with history);
//   baseline the same unchanged and 5-change passes, on the same data, with the two naive
//            ways of keeping current state: INSERT … ON CONFLICT DO UPDATE (WHERE changed)
//            and delete-and-reinsert, on a sample of the hosts;
//   lookup   "which hosts have package X" over the loaded fleet, with and without the
//            indexes leading on the package name;
//   metrics  batched ingest across hosts (insertMetrics: a binary COPY per table, the four at
//            once) against the previous unnest INSERT (metrics-unnest.ts) in alternating
//            rounds, with client and server CPU per row, and the server's own ceiling.
// Prints rows written and time per host for each pass, ratios to the baselines and ingest
// rows/s. Not a test: nothing is asserted.
//
//   node deploy/dev/test-env.js tsx test/bench/storage.bench.ts
//     [--hosts 2000] [--packages 1500] [--concurrency 4] [--baseline-hosts 200]
//     [--metric-batches 10] [--metric-rounds 3] [--sections facts,metrics]
//     [--plain]   (--plain: no TimescaleDB, plain tables)

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import type { PackageFact } from '../../collectors/packages.ts';
import { packageFacts } from '../../collectors/packages.ts';
import { parseDpkgQuery } from '../../collectors/packages-dpkg.ts';
import type { Fact } from '../../collectors/types.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import { type ApplyProbeResult, applyProbe } from '../../sql/facts.ts';
import { insertMetrics, type MetricRows, toMetricRows } from '../../sql/metrics.ts';
import { migrate } from '../../sql/migrate.ts';
import { packageHosts } from '../../sql/packages.ts';
import {
  createHosts,
  dpkgStatusToQuery,
  factsProbe,
  hostPackages,
  packagePool,
  sampleSeries,
  sharedFile,
  upgraded,
} from '../integration/storage-fixtures.ts';
import { insertMetricsUnnest } from './metrics-unnest.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '2000' },
    packages: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '4' },
    'baseline-hosts': { type: 'string', default: '200' },
    'metric-batches': { type: 'string', default: '10' },
    'metric-rounds': { type: 'string', default: '3' },
    sections: { type: 'string', default: 'facts,metrics' },
    plain: { type: 'boolean', default: false },
  },
});
const HOSTS = Number(values.hosts);
const PACKAGES = Number(values.packages);
const CONCURRENCY = Number(values.concurrency);
const BASELINE_HOSTS = Math.min(HOSTS, Number(values['baseline-hosts']));
const METRIC_BATCHES = Number(values['metric-batches']);
const METRIC_ROUNDS = Number(values['metric-rounds']);
const SECTIONS = new Set(values.sections.split(','));

const adminUrl = process.env.HOSTINTEL_TEST_DATABASE_URL;
if (!adminUrl) {
  console.error('HOSTINTEL_TEST_DATABASE_URL is not set: run through deploy/dev/test-env.js');
  process.exit(2);
}
const dbName = `hostintel_bench_storage_${process.pid}`;
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

const T0 = new Date('2026-11-01T00:00:00.000Z');
const hour = (n: number) => new Date(T0.getTime() + n * 3_600_000);

/** Runs `work` for every item with at most `limit` at a time; per-item durations in ms. */
async function pooled<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  const durations: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      const start = performance.now();
      await work(item);
      durations.push(performance.now() - start);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: limit }, lane));
  return { wallMs: performance.now() - start, durations };
}

const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function tableRows(sql: Sql) {
  const [row] = await sql<{ facts: number; closed: number; changes: number; probes: number }[]>`
    select (select count(*)::int from host_facts) as facts,
           (select count(*)::int from host_facts where valid_to is not null) as closed,
           (select count(*)::int from host_fact_changes) as changes,
           (select count(*)::int from intel_probes) as probes`;
  if (!row) throw new Error('no counts');
  return row;
}

async function walBytes(sql: Sql, since: string) {
  const [row] = await sql<{ bytes: number; lsn: string }[]>`
    select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${since}::pg_lsn)::float8 as bytes,
           pg_current_wal_insert_lsn()::text as lsn`;
  return row ?? { bytes: 0, lsn: since };
}
async function walNow(sql: Sql) {
  const [row] = await sql<{ lsn: string }[]>`select pg_current_wal_insert_lsn()::text as lsn`;
  return row?.lsn ?? '0/0';
}

interface PassReport {
  name: string;
  wallMs: number;
  perHostMs: number;
  p50: number;
  p95: number;
  factRowsInserted: number;
  factRowsClosed: number;
  changeRows: number;
  walMiB: number;
}

function printPass(r: PassReport) {
  console.log(
    `  ${r.name.padEnd(26)} ${ms(r.perHostMs).padStart(10)}/host (wall)  ` +
      `p50 ${ms(r.p50).padStart(9)}  p95 ${ms(r.p95).padStart(9)}  ` +
      `fact rows +${r.factRowsInserted} inserted, ${r.factRowsClosed} closed, ` +
      `${r.changeRows} feed entries  WAL ${r.walMiB.toFixed(1)} MiB`,
  );
}

async function factsPass(
  sql: Sql,
  name: string,
  hosts: readonly string[],
  factsOf: (i: number) => readonly Fact[],
  at: Date,
): Promise<PassReport> {
  const before = await tableRows(sql);
  const lsn = await walNow(sql);
  const results: ApplyProbeResult[] = [];
  const indexes = hosts.map((_, i) => i);
  const { wallMs, durations } = await pooled(indexes, CONCURRENCY, async (i) => {
    const probe = factsProbe({ at, packages: factsOf(i) });
    results.push(await applyProbe(sql, hosts[i] as string, probe));
  });
  const wal = await walBytes(sql, lsn);
  const after = await tableRows(sql);
  const written = results.reduce((n, r) => n + r.factRowsWritten, 0);
  const inserted = after.facts - before.facts;
  const closed = after.closed - before.closed;
  if (written !== inserted + closed) {
    throw new Error(
      `${name}: applyProbe reported ${written} rows, the tables ${inserted + closed}`,
    );
  }
  return {
    name,
    wallMs,
    perHostMs: wallMs / hosts.length,
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    factRowsInserted: inserted,
    factRowsClosed: closed,
    changeRows: after.changes - before.changes,
    walMiB: wal.bytes / 2 ** 20,
  };
}

/** The naive ways, on a current-state-only table: what write-on-change is compared with. */
async function baselinePass(
  sql: Sql,
  method: 'upsert' | 'reinsert',
  name: string,
  hosts: readonly string[],
  factsOf: (i: number) => readonly Fact[],
) {
  const lsn = await walNow(sql);
  const { wallMs, durations } = await pooled(
    hosts.map((_, i) => i),
    CONCURRENCY,
    async (i) => {
      const facts = factsOf(i);
      const host = hosts[i] as string;
      const json = JSON.stringify(facts);
      if (method === 'upsert') {
        await sql`
          insert into bench_current (host_id, kind, key, value)
          select ${host}, kind, key, value
          from jsonb_to_recordset(${json}::text::jsonb) as t(kind text, key text, value jsonb)
          on conflict (host_id, kind, key) do update set value = excluded.value
            where bench_current.value is distinct from excluded.value`;
        // …and what disappeared.
        await sql`
          delete from bench_current c where c.host_id = ${host} and not exists (
            select from jsonb_to_recordset(${json}::text::jsonb) as t(kind text, key text)
            where t.kind = c.kind and t.key = c.key)`;
      } else {
        await sql.begin(async (tx) => {
          await tx`delete from bench_reinsert where host_id = ${host}`;
          await tx`
            insert into bench_reinsert (host_id, kind, key, value)
            select ${host}, kind, key, value
            from jsonb_to_recordset(${json}::text::jsonb) as t(kind text, key text, value jsonb)`;
        });
      }
    },
  );
  const wal = await walBytes(sql, lsn);
  return {
    name,
    perHostMs: wallMs / hosts.length,
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    walMiB: wal.bytes / 2 ** 20,
  };
}

/** Facts through applyProbe, the naive baselines, and "which hosts have package X". */
async function factsSections(sql: Sql, hosts: readonly string[]) {
  const pool = packagePool();
  // Each host its own 1,500 of the ~1,700 real records (a different window of the pool).
  // Each host its own 1,500 of the ~1,700 real records (a different window of the pool);
  // one host in a hundred also has a third-party package (docker-ce, a real status entry).
  const [dockerCe] = parseDpkgQuery(
    dpkgStatusToQuery(sharedFile('packages/mixed__trivy_dpkg-status-third-party.txt')),
  );
  const rare = packageFacts(dockerCe ? [dockerCe] : []);
  const initial = hosts.map((_, i) => {
    const own = hostPackages(pool, PACKAGES, (i * 37) % pool.length);
    return i % 100 === 0 ? [...own.slice(0, -1), ...rare] : own;
  });
  const dpkgIndexes = initial.map((facts) =>
    facts.flatMap((f, j) => (f.value.manager === 'dpkg' ? [j] : [])),
  );
  const updated = initial.map((facts, i) => {
    const candidates = dpkgIndexes[i] ?? [];
    const picks = new Set(
      [0, 1, 2, 3, 4].map((k) => candidates[(i * 13 + k * 97) % candidates.length]),
    );
    return facts.map((f, j) => (picks.has(j) ? upgraded(f as Fact<PackageFact>, 1) : f));
  });

  console.log('\nfacts through applyProbe (write-on-change, with history)');
  const load = await factsPass(sql, 'initial load', hosts, (i) => initial[i] ?? [], hour(0));
  printPass(load);
  await sql`vacuum analyze host_facts`;
  const unchanged = await factsPass(
    sql,
    're-probe, nothing changed',
    hosts,
    (i) => initial[i] ?? [],
    hour(1),
  );
  printPass(unchanged);
  const changed = await factsPass(
    sql,
    're-probe, 5 changes/host',
    hosts,
    (i) => updated[i] ?? [],
    hour(2),
  );
  printPass(changed);
  console.log(
    `  goals: unchanged 0 fact rows (${unchanged.factRowsInserted + unchanged.factRowsClosed})` +
      ` and ≤ 5 ms/host (${ms(unchanged.perHostMs)}); 5 changes ≤ 10 ms/host ` +
      `(${ms(changed.perHostMs)}); exactly ${5 * HOSTS} changes (${changed.changeRows})`,
  );

  console.log(`\nbaselines on the first ${BASELINE_HOSTS} hosts (current state only, no history)`);
  await sql`
    create table bench_current (host_id uuid, kind text, key text, value jsonb,
      primary key (host_id, kind, key))`;
  await sql`
    create table bench_reinsert (host_id uuid, kind text, key text, value jsonb,
      primary key (host_id, kind, key))`;
  const sample = hosts.slice(0, BASELINE_HOSTS);
  await baselinePass(sql, 'upsert', 'load', sample, (i) => initial[i] ?? []);
  await baselinePass(sql, 'reinsert', 'load', sample, (i) => initial[i] ?? []);
  await sql`vacuum analyze bench_current, bench_reinsert`;
  // The sample's hosts hold `updated` now: applying it again changes nothing, applying
  // `initial` again is 5 package changes per host, like the baselines' passes.
  const ours = await factsPass(sql, 'unchanged', sample, (i) => updated[i] ?? [], hour(3));
  const same = (i: number) => initial[i] ?? [];
  const five = (i: number) => updated[i] ?? [];
  const rows: [string, { perHostMs: number; p50: number; walMiB: number }][] = [
    ['applyProbe, nothing changed', ours],
    ['ON CONFLICT, nothing changed', await baselinePass(sql, 'upsert', '', sample, same)],
    ['delete+reinsert, nothing changed', await baselinePass(sql, 'reinsert', '', sample, same)],
  ];
  const ours5 = await factsPass(sql, '5 changes', sample, (i) => initial[i] ?? [], hour(4));
  rows.push(
    ['applyProbe, 5 changes', ours5],
    ['ON CONFLICT, 5 changes', await baselinePass(sql, 'upsert', '', sample, five)],
    ['delete+reinsert, 5 changes', await baselinePass(sql, 'reinsert', '', sample, five)],
  );
  for (const [name, r] of rows) {
    console.log(
      `  ${name.padEnd(34)} ${ms(r.perHostMs).padStart(10)}/host  p50 ${ms(r.p50).padStart(9)}` +
        `  WAL ${r.walMiB.toFixed(2)} MiB`,
    );
  }
  const ratio = (a: number, b: number) => `${(b / a).toFixed(1)}×`;
  console.log(
    `  time of the baseline / applyProbe's: ON CONFLICT ` +
      `${ratio(ours.perHostMs, rows[1]?.[1].perHostMs ?? 0)} unchanged, ` +
      `${ratio(ours5.perHostMs, rows[4]?.[1].perHostMs ?? 0)} with 5 changes; ` +
      `delete+reinsert ${ratio(ours.perHostMs, rows[2]?.[1].perHostMs ?? 0)} / ` +
      `${ratio(ours5.perHostMs, rows[5]?.[1].perHostMs ?? 0)}`,
  );

  console.log('\n"which hosts have package X" over the current package rows (packageHosts)');
  const [current] = await sql<{ n: number }[]>`
    select count(*)::int as n from host_facts where kind = 'package' and valid_to is null`;
  console.log(`  ${current?.n} current package rows`);
  const names = ['docker-ce', 'openssl', 'util-linux'];
  const lookup = async (q: Sql) => {
    const out: { name: string; rows: number; totalMs: number; serverMs: number }[] = [];
    for (const name of names) {
      const times: number[] = [];
      let rows = 0;
      for (let round = 0; round < 5; round++) {
        const start = performance.now();
        rows = (await packageHosts(q, name)).length;
        times.push(performance.now() - start);
      }
      const [plan] = await q<{ 'QUERY PLAN': [{ 'Execution Time': number }] }[]>`
        explain (analyze, format json)
        select * from host_packages where valid_to is null and name = ${name}
        union all
        select * from host_packages
        where valid_to is null and source_name = ${name} and source_name <> name`;
      const serverMs = plan?.['QUERY PLAN'][0]['Execution Time'] ?? Number.NaN;
      out.push({ name, rows, totalMs: percentile(times, 50), serverMs });
    }
    return out;
  };
  const withIndex = await lookup(sql);
  let withoutIndex: typeof withIndex = [];
  await sql
    .begin(async (tx) => {
      await tx`drop index host_facts_package_name`;
      await tx`drop index host_facts_package_source`;
      withoutIndex = await lookup(tx as unknown as Sql);
      throw new Error('rollback');
    })
    .catch((error: unknown) => {
      if (!(error instanceof Error && error.message === 'rollback')) throw error;
    });
  for (const [i, w] of withIndex.entries()) {
    const wo = withoutIndex[i];
    console.log(
      `  ${w.name.padEnd(11)} binary or source: ${String(w.rows).padStart(6)} rows  ` +
        `server ${ms(w.serverMs).padStart(10)} with the name indexes, ` +
        `${ms(wo?.serverMs ?? 0).padStart(10)} without ` +
        `(${ratio(w.serverMs, wo?.serverMs ?? 0)});` +
        `  packageHosts() in all ${ms(w.totalMs)} / ${ms(wo?.totalMs ?? 0)}`,
    );
  }
}

/** createSql's client, but with Nagle's algorithm off on its sockets (what the bench compares). */
function noDelaySql(url: string, max: number): Sql {
  // postgres.js takes a socket factory (undeclared in its types): a connected socket.
  const socket = async (options: { host: string[]; port: number[] }) => {
    const [host, port = 5432] = [options.host[0], options.port[0]];
    const connection = net.connect({ host, port, noDelay: true });
    await once(connection, 'connect');
    return connection;
  };
  return postgres(url, {
    max,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
    ...({ socket } as object),
  });
}

/** CPU seconds used so far by the server processes serving `database` (null: not readable). */
async function serverCpuSeconds(admin: Sql, database: string): Promise<number | null> {
  const backends = await admin<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${database}`;
  let ticks = 0;
  for (const { pid } of backends) {
    try {
      // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second
      // on Linux); readable when the server runs on this machine, as the dev one does.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks / 100;
}

interface IngestReport {
  rowsPerSecond: number;
  clientUsPerRow: number;
  serverUsPerRow: number | null;
}

/** The four server-side inserts of the ceiling measurement, `n` host samples' worth. */
function generatedInserts(sql: Sql, n: number) {
  return [
    () => sql`
      insert into host_metrics (time, host_id, cpu_user_pct, cpu_system_pct, cpu_iowait_pct,
        cpu_steal_pct, cpu_idle_pct, load1, load5, load15, mem_total_bytes, mem_available_bytes,
        mem_used_bytes, swap_total_bytes, swap_used_bytes, procs_running, procs_total, uptime_s)
      select now(), gen_random_uuid(), g % 97, g % 13, g % 7, g % 3, g % 89, g % 5, g % 4,
        g % 3, 25276514304, 24381575168 - g, 894939136 + g, 0, 0, g % 9, 187, 41158.26 + g
      from generate_series(1, ${n}) g`,
    () => sql`
      insert into fs_metrics (time, host_id, mount, device, fstype, size_bytes, used_bytes,
        avail_bytes, inodes_total, inodes_used)
      select now(), gen_random_uuid(), '/', '/dev/vda', 'ext4', 270553174016,
        24302637056 + g, 84641656832 - g, 16777216, 419990 + g
      from generate_series(1, ${n}) g`,
    () => sql`
      insert into net_metrics (time, host_id, iface, rx_bytes_per_s, tx_bytes_per_s,
        rx_packets_per_s, tx_packets_per_s, rx_errors_per_s, tx_errors_per_s)
      select now(), gen_random_uuid(), 'eth0', g * 1.5, g * 0.5, g % 1000, g % 100, 0, 0
      from generate_series(1, ${4 * n}) g`,
    () => sql`
      insert into disk_metrics (time, host_id, device, read_bytes_per_s, write_bytes_per_s,
        read_iops, write_iops, util_pct)
      select now(), gen_random_uuid(), 'vda', g * 512.0, g * 1024.0, g % 500, g % 800, g % 100
      from generate_series(1, ${n}) g`,
  ];
}

/**
 * Metrics ingest: insertMetrics (binary COPY, the four tables at once) against the previous
 * unnest INSERT, in alternating rounds over the same batches so both see the same load; each
 * with its wall-clock rate and the CPU it cost this process and the server per row, which
 * machine noise moves far less than the rate.
 */
async function metricsSection(sql: Sql, admin: Sql, hosts: readonly string[]) {
  console.log('\nmetrics ingest (one batch = one sample of every host)');
  const series = hosts.map((_, i) => sampleSeries(hour(5), METRIC_BATCHES + 1, 60, i + 1));
  const batches: MetricRows[][] = [];
  for (let b = 1; b <= METRIC_BATCHES; b++) {
    batches.push(
      hosts.map((h, i) => {
        const s = series[i] ?? [];
        const cur = s[b];
        if (!cur) throw new Error('missing sample');
        return toMetricRows(h, cur.at, s[b - 1], cur.metrics);
      }),
    );
  }
  const rowsOf = (batch: readonly MetricRows[]) =>
    batch.reduce((n, r) => n + r.host.length + r.fs.length + r.net.length + r.disk.length, 0);
  const total = batches.reduce((n, b) => n + rowsOf(b), 0);
  const noDelay = noDelaySql(dbUrl.toString(), CONCURRENCY + 1);
  const variants = {
    copy: (batch: MetricRows[]) => insertMetrics(sql, batch),
    noDelay: (batch: MetricRows[]) => insertMetrics(noDelay, batch),
    unnest: (batch: MetricRows[]) => insertMetricsUnnest(sql, batch),
  };
  const spent = {
    copy: { ms: 0, clientUs: 0, serverS: 0 as number | null },
    noDelay: { ms: 0, clientUs: 0, serverS: 0 as number | null },
    unnest: { ms: 0, clientUs: 0, serverS: 0 as number | null },
  };
  for (const write of Object.values(variants)) await write(batches[0] ?? []); // warm-up
  for (let round = 0; round < METRIC_ROUNDS; round++) {
    for (const name of ['copy', 'noDelay', 'unnest'] as const) {
      const serverBefore = await serverCpuSeconds(admin, dbName);
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (const batch of batches) await variants[name](batch);
      const s = spent[name];
      s.ms += performance.now() - start;
      const used = process.cpuUsage(cpu);
      s.clientUs += used.user + used.system;
      const serverAfter = await serverCpuSeconds(admin, dbName);
      s.serverS =
        s.serverS === null || serverBefore === null || serverAfter === null
          ? null
          : s.serverS + serverAfter - serverBefore;
    }
  }
  const report = (name: keyof typeof spent): IngestReport => {
    const s = spent[name];
    const rows = total * METRIC_ROUNDS;
    return {
      rowsPerSecond: Math.round(rows / (s.ms / 1000)),
      clientUsPerRow: s.clientUs / rows,
      serverUsPerRow: s.serverS === null ? null : (s.serverS * 1e6) / rows,
    };
  };
  const costs = (r: IngestReport) =>
    `CPU per row: client ${r.clientUsPerRow.toFixed(2)} µs, server ` +
    (r.serverUsPerRow === null ? 'n/a' : `${r.serverUsPerRow.toFixed(2)} µs`);
  const copy = report('copy');
  const tuned = report('noDelay');
  const unnest = report('unnest');
  console.log(
    `  insertMetrics (binary COPY, 4 tables at once), ${METRIC_BATCHES} batches of ` +
      `${hosts.length} hosts (${Math.round(total / METRIC_BATCHES)} rows each) × ` +
      `${METRIC_ROUNDS} rounds: ${copy.rowsPerSecond} rows/s (goal ≥ 100,000); ${costs(copy)}`,
  );
  console.log(
    `  the same with TCP_NODELAY on the database sockets (not in sql/client.ts yet): ` +
      `${tuned.rowsPerSecond} rows/s; ${costs(tuned)}`,
  );
  console.log(
    `  baseline, the previous unnest INSERT (same batches, alternating rounds): ` +
      `${unnest.rowsPerSecond} rows/s; ${costs(unnest)}`,
  );
  const serverRatio =
    copy.serverUsPerRow && unnest.serverUsPerRow
      ? `, server CPU per row ÷ ${(unnest.serverUsPerRow / copy.serverUsPerRow).toFixed(1)}`
      : '';
  console.log(
    `  COPY vs unnest: rows/s ×${(copy.rowsPerSecond / unnest.rowsPerSecond).toFixed(1)}, ` +
      `client CPU per row ÷ ${(unnest.clientUsPerRow / copy.clientUsPerRow).toFixed(1)}` +
      serverRatio,
  );

  // Baseline: each host's sample written on its own, for the first 200 hosts of a batch.
  // postgres.js leaves Nagle's algorithm on, and a COPY is two writes (data, then CopyDone):
  // the second waits for the server's delayed ACK, ~40 ms a COPY, which batching amortises.
  const one = (batches[0] ?? []).slice(0, 200);
  const perSecond = (rows: number, elapsed: number) => Math.round(rows / (elapsed / 1000));
  const perHost = async (q: Sql) => {
    const start = performance.now();
    for (const rows of one) await insertMetrics(q, rows);
    return {
      rate: perSecond(rowsOf(one), performance.now() - start),
      ms: (performance.now() - start) / one.length,
    };
  };
  const single = await perHost(sql);
  const singleNoDelay = await perHost(noDelay);
  await noDelay.end();
  console.log(
    `  baseline, one insertMetrics per host: ${single.rate} rows/s, ${single.ms.toFixed(1)} ms ` +
      `a call (batched is ${(copy.rowsPerSecond / single.rate).toFixed(1)}×); with TCP_NODELAY ` +
      `${singleNoDelay.rate} rows/s, ${singleNoDelay.ms.toFixed(1)} ms a call`,
  );

  // The server's own ceiling right now: as many rows, every column filled, generated inside
  // the database (no client, no parameters) — one statement at a time, then the four at once
  // on their own connections as insertMetrics does.
  const n = hosts.length;
  const serialStart = performance.now();
  for (const insert of generatedInserts(sql, n)) await insert();
  const serial = perSecond(7 * n, performance.now() - serialStart);
  const parallelStart = performance.now();
  await Promise.all(generatedInserts(sql, n).map((insert) => insert()));
  const parallel = perSecond(7 * n, performance.now() - parallelStart);
  console.log(
    `  the server alone (rows generated in SQL, no client): ${serial} rows/s one table at a ` +
      `time, ${parallel} rows/s four at once (insertMetrics reaches ` +
      `${Math.round((100 * copy.rowsPerSecond) / parallel)} % of the latter)`,
  );
}

async function main() {
  const admin = createSql(adminUrl as string, { max: 1 });
  await admin`create database ${admin(dbName)}`;
  const sql = createSql(dbUrl.toString(), { max: CONCURRENCY + 1 });
  try {
    const info = await migrate(sql, { timescale: !values.plain });
    const settings = await sql<{ name: string; setting: string }[]>`
      select name, setting from pg_settings
      where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'max_wal_size')`;
    console.log(
      `storage bench: ${HOSTS} hosts × ${PACKAGES} packages, concurrency ${CONCURRENCY}, ` +
        `PostgreSQL ${info.serverVersion}, TimescaleDB ${info.timescaledb ?? 'absent'}`,
    );
    console.log(`  server: ${settings.map((s) => `${s.name}=${s.setting}`).join(' ')}`);

    const hosts = await createHosts(sql, 'bench', HOSTS);
    if (SECTIONS.has('facts')) await factsSections(sql, hosts);
    if (SECTIONS.has('metrics')) await metricsSection(sql, admin, hosts);
  } finally {
    await sql.end({ timeout: 5 });
    await admin`drop database if exists ${admin(dbName)} with (force)`;
    await admin.end();
  }
}

await main();
