// The shared part of the database benchmarks: a throwaway database on the test server and a
// synthetic fleet loaded with bulk SQL. One applyProbe per host would take hours at 10k × 1.5k
// packages; generate_series builds the same rows (hosts, a facts probe each, an 'os' fact and
// 'package' facts shaped as collectors/packages.ts writes them) in a few statements.
import type { Sql } from '../../sql/client.ts';
import { createSql } from '../../sql/client.ts';
import { migrate } from '../../sql/migrate.ts';

export interface BenchDatabase {
  sql: Sql;
  name: string;
  drop(): Promise<void>;
}

export interface FleetSize {
  hosts: number;
  packages: number;
}

export interface LoadTimings {
  seconds: number;
  rows: number;
  steps: Record<string, number>;
}

/** Debian 12 source packages in the synthetic fleet: binaries 2k and 2k+1 share source k. */
export const sourceOf = (pkg: number) => `src-${Math.floor(pkg / 2)}`;
/** Binary package names; package 0 is `openssl` (source `openssl`) for the query benchmarks. */
export const QUERY_PACKAGE = 'openssl';

/** Creates hostintel_bench_<pid> on the test server and migrates it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const adminUrl = process.env.HOSTINTEL_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('HOSTINTEL_TEST_DATABASE_URL is not set (run via test-env.js)');
  const name = `hostintel_bench_${process.pid}`;
  const admin = createSql(adminUrl, { max: 1 });
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = createSql(url.toString(), { max: 4 });
  await migrate(sql);
  return {
    sql,
    name,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

async function timed(steps: Record<string, number>, label: string, run: () => Promise<unknown>) {
  const started = performance.now();
  await run();
  steps[label] = (performance.now() - started) / 1000;
}

/**
 * Loads `hosts` Debian 12 hosts with `packages` dpkg packages each. Versions differ between
 * hosts (`<1..5>.<pkg % 10>-1`) so version filters and advisory ranges split the fleet.
 * host_facts' indexes are dropped during the load and rebuilt after: building an index once
 * is several times faster than maintaining eight of them row by row.
 */
export async function loadFleet(sql: Sql, size: FleetSize): Promise<LoadTimings> {
  const steps: Record<string, number> = {};
  const started = performance.now();
  await sql.unsafe('set synchronous_commit = off');
  const indexes = await sql<{ name: string; def: string }[]>`
    select indexname as name, indexdef as def from pg_indexes
    where tablename = 'host_facts' and indexname <> 'host_facts_pkey'`;
  await timed(steps, 'hosts', async () => {
    await sql`
      insert into hosts (name, address, username)
      select 'bench-' || lpad(g::text, 6, '0'), '10.' || (g / 65536) || '.' || (g / 256 % 256)
        || '.' || (g % 256), 'root'
      from generate_series(1, ${size.hosts}) g`;
    await sql`
      insert into intel_probes (host_id, type, reason, started_at, finished_at, status,
        collectors, fact_changes)
      select id, 'facts', 'scheduled', now() - interval '5 minutes', now() - interval '4 minutes',
        'ok', '{"os": {"status": "ok"}, "packages": {"status": "ok"}}', 0
      from hosts`;
  });
  for (const index of indexes) await sql.unsafe(`drop index ${index.name}`);
  await timed(
    steps,
    'os facts',
    () => sql`
    insert into host_facts (host_id, kind, key, value, value_hash, bucket, valid_from,
      first_probe_id)
    select p.host_id, 'os', 'os', jsonb_build_object('id', 'debian', 'versionId', '12',
        'name', 'Debian GNU/Linux', 'prettyName', 'Debian GNU/Linux 12 (bookworm)',
        'kernelRelease', '6.1.0-' || (18 + hashtext(p.host_id::text) % 3) || '-amd64'),
      hashtext(p.host_id::text), 0, p.started_at, p.id
    from intel_probes p`,
  );
  // One statement per slice of hosts: a single 15M-row insert holds everything in one
  // transaction and gives no sign of progress.
  await timed(steps, 'package facts', async () => {
    const slice = Math.max(1, Math.floor(200_000 / size.packages));
    for (let from = 1; from <= size.hosts; from += slice) {
      await sql`
        with h as (
          select p.host_id, p.id as probe_id, p.started_at,
            row_number() over (order by h.name) as n
          from intel_probes p join hosts h on h.id = p.host_id
        ), v as (
          select h.host_id, h.probe_id, h.started_at, g as pkg,
            case when g = 0 then 'openssl' else 'pkg-' || g end as name,
            case when g = 0 then 'openssl' else 'src-' || (g / 2) end as source,
            (1 + (h.n + g) % 5) || '.' || (g % 10) || '-1' as version
          from h cross join generate_series(0, ${size.packages - 1}) g
          where h.n between ${from} and ${from + slice - 1}
        )
        insert into host_facts (host_id, kind, key, value, value_hash, bucket, valid_from,
          first_probe_id)
        select host_id, 'package', name || ':amd64',
          jsonb_build_object('name', name, 'epoch', null, 'version', version, 'release', null,
            'arch', 'amd64', 'evr', version, 'manager', 'dpkg',
            'source', jsonb_build_object('name', source, 'version', version)),
          hashtext(name || version), pkg % 64, started_at, probe_id
        from v`;
    }
  });
  await timed(
    steps,
    'fact kinds',
    () => sql`
    insert into host_fact_kinds (host_id, kind, baseline_probe_id, baseline_at, last_success_at,
      last_probe_id, facts_hash, bucket_hashes)
    select p.host_id, k, p.id, p.started_at, p.finished_at, p.id, 'bench', 'bench'
    from intel_probes p cross join unnest(array['os', 'package']) k`,
  );
  await timed(steps, 'indexes', async () => {
    await sql.unsafe(`set maintenance_work_mem = '512MB'`);
    for (const index of indexes) await sql.unsafe(index.def);
  });
  await timed(steps, 'analyze', () => sql`vacuum analyze`);
  return {
    seconds: (performance.now() - started) / 1000,
    rows: size.hosts * (size.packages + 1),
    steps,
  };
}

/** p50/p95/max in ms of `times` ms. */
export function percentiles(times: readonly number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

/** Runs `run` `count` times one after another, after a few unmeasured warm-up runs. */
export async function measure(count: number, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) await run(i);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run(i);
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;

export function printLoad(size: FleetSize, load: LoadTimings) {
  const steps = Object.entries(load.steps)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
  console.log(
    `loaded ${size.hosts} hosts × ${size.packages} packages (${load.rows} fact rows) in ` +
      `${load.seconds.toFixed(1)} s (${steps})`,
  );
}
