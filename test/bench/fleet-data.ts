// The shared part of the database benchmarks: a synthetic fleet in a database of its own on the
// test server. Loading 10,000 hosts × 1,500 packages (15M fact rows) takes minutes, so it is
// done once into a template database (hostintel_bench_fleet10k for the goals' size) that each
// run clones with CREATE DATABASE … TEMPLATE while the template's migrations are the
// checkout's and its generator version is this file's; otherwise the template is rebuilt.
//
// The rows are what applyProbe would have written for such hosts (hosts, a facts probe each,
// an 'os' fact and 'package' facts shaped as collectors/packages.ts writes them, with their
// real buckets, value hashes and set hashes), streamed with COPY over two connections. Foreign
// keys and triggers are off during the load (session_replication_role = replica): the rows
// are consistent by construction, and derived tables are built afterwards by their own code.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PackageFact } from '../../collectors/packages.ts';
import type { Fact } from '../../collectors/types.ts';
import type { Sql } from '../../sql/client.ts';
import { createSql } from '../../sql/client.ts';
import { hashFactSets, hashFacts } from '../../sql/fact-hash.ts';
import { listMigrations, migrate } from '../../sql/migrate.ts';
import { refreshVulnIndex } from '../../vuln/fleet-index.ts';

export interface FleetSize {
  hosts: number;
  packages: number;
}

export interface LoadTimings {
  seconds: number;
  rows: number;
  steps: Record<string, number>;
}

export interface BenchFleet {
  sql: Sql;
  /** The clone this run works in (dropped by drop()). */
  name: string;
  template: string;
  /** How the template was loaded when this run had to (re)build it; null when it was reused. */
  load: LoadTimings | null;
  cloneSeconds: number;
  /** Moving the clone's probe log to now (moveProbeLogToNow). */
  moveSeconds: number;
  drop(): Promise<void>;
}

/** Binary package names; package 0 is `openssl` (source `openssl`) for the query benchmarks. */
export const QUERY_PACKAGE = 'openssl';

/**
 * Bump when the rows the loader writes change: templates of another generator are rebuilt.
 * 2: COPY loader with real fact hashes. 3: metrics probes after the facts probe.
 */
const GENERATOR = 3;
/**
 * Metrics probes (one a minute) since each host's facts probe, as a runner writes them: half
 * of the default hourly facts interval, so the last facts probe is behind 30 newer ones.
 */
const METRICS_PROBES = 30;
const COPY_STREAMS = 2;
/** Hosts share their package set with every host of the same rank modulo this. */
const VERSION_CLASSES = 5;
const KERNEL_CLASSES = 3;
// An arbitrary key naming "bench fleet templates" in pg_advisory_lock's key space.
const TEMPLATE_LOCK = 0x62656e6368;

function adminUrl(): string {
  const url = process.env.HOSTINTEL_TEST_DATABASE_URL;
  if (!url) throw new Error('HOSTINTEL_TEST_DATABASE_URL is not set (run via test-env.js)');
  return url;
}

function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** hostintel_bench_fleet10k for the goals' size, a name with both numbers otherwise. */
export function templateName(size: FleetSize): string {
  if (size.hosts === 10_000 && size.packages === 1500) return 'hostintel_bench_fleet10k';
  return `hostintel_bench_fleet_${size.hosts}h_${size.packages}p`;
}

/**
 * The template's stamp: the migrations applied to it (each with a hash of its text: a migration
 * edited before it is committed counts as another one) and the generator that loaded it.
 */
async function expectedStamp(size: FleetSize): Promise<string> {
  const migrations = await Promise.all(
    (await listMigrations()).map(async (m) => {
      const text = await readFile(m.file, 'utf8');
      return `${m.version}-${m.name}:${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    }),
  );
  return JSON.stringify({ migrations, generator: GENERATOR, ...size });
}

async function templateStamp(admin: Sql, name: string): Promise<string | null> {
  const [row] = await admin<{ stamp: string | null }[]>`
    select shobj_description(oid, 'pg_database') as stamp from pg_database
    where datname = ${name}`;
  return row?.stamp ?? null;
}

/** COMMENT takes no parameters: the stamp as an SQL string literal. */
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * A clone of the fleet template, which is (re)built first when missing or stale. One process
 * at a time checks, builds and clones (an advisory lock on the admin database).
 */
export async function openBenchFleet(
  size: FleetSize,
  options: { rebuild?: boolean } = {},
): Promise<BenchFleet> {
  const template = templateName(size);
  const name = `hostintel_bench_${process.pid}`;
  const admin = createSql(adminUrl(), { max: 1 });
  const lock = await admin.reserve();
  let load: LoadTimings | null = null;
  let cloneSeconds = 0;
  try {
    await lock`select pg_advisory_lock(${TEMPLATE_LOCK})`;
    const expected = await expectedStamp(size);
    const stamp = options.rebuild ? null : await templateStamp(lock, template);
    const fresh =
      stamp === expected ||
      (stamp !== null && (await migrateForward(lock, template, stamp, expected)));
    if (!fresh) load = await buildTemplate(lock, template, size, expected);
    await lock`drop database if exists ${lock(name)} with (force)`;
    const started = performance.now();
    // FILE_COPY copies the files instead of WAL-logging every block: much faster for GBs.
    await lock`create database ${lock(name)} template ${lock(template)} strategy file_copy`;
    cloneSeconds = (performance.now() - started) / 1000;
  } finally {
    await lock`select pg_advisory_unlock(${TEMPLATE_LOCK})`.catch(() => {});
    lock.release();
  }
  const sql = createSql(databaseUrl(name), { max: 4 });
  const moving = performance.now();
  await moveProbeLogToNow(sql);
  const moveSeconds = (performance.now() - moving) / 1000;
  return {
    sql,
    name,
    template,
    load,
    cloneSeconds,
    moveSeconds,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end({ timeout: 5 });
    },
  };
}

/**
 * The template's probe log is as old as the template, and a fleet whose last probes are hours
 * old is a fleet of stale hosts, which reads differently (the summary looks those up host by
 * host). The clone's log is moved so that its newest probe started now, as a running fleet's.
 * Delete and insert, not update: the rows may move to another chunk of the hypertable.
 */
async function moveProbeLogToNow(sql: Sql) {
  await sql`
    with shift as (select now() - max(started_at) as by from intel_probes),
    moved as (delete from intel_probes returning *)
    insert into intel_probes (id, host_id, type, reason, started_at, finished_at, status,
      collectors, bytes, error, error_code, fact_changes)
    select m.id, m.host_id, m.type, m.reason, m.started_at + s.by, m.finished_at + s.by,
      m.status, m.collectors, m.bytes, m.error, m.error_code, m.fact_changes
    from moved m, shift s`;
  await sql`vacuum analyze intel_probes`;
}

async function buildTemplate(
  admin: Sql,
  template: string,
  size: FleetSize,
  stamp: string,
): Promise<LoadTimings> {
  const building = `${template}_building`;
  await admin`drop database if exists ${admin(building)} with (force)`;
  await admin`create database ${admin(building)}`;
  const sql = createSql(databaseUrl(building), { max: COPY_STREAMS + 1 });
  let timings: LoadTimings;
  try {
    await migrate(sql);
    timings = await loadFleet(sql, size);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await dropTemplate(admin, template);
  await admin`alter database ${admin(building)} rename to ${admin(template)}`;
  // No connections, not even autovacuum's: a template someone is connected to cannot be
  // cloned. The stamp is the database's comment, readable without connecting (COMMENT takes
  // no parameters, hence the literal).
  await admin`alter database ${admin(template)} with is_template true allow_connections false`;
  await admin.unsafe(`comment on database ${template} is ${quoteLiteral(stamp)}`);
  return timings;
}

/**
 * A template loaded by this generator at this size, whose migrations are the first of today's,
 * is brought up to date by the newer migrations (seconds) instead of being loaded again
 * (many minutes at 10,000 hosts). False when it was loaded otherwise.
 */
async function migrateForward(admin: Sql, template: string, stamp: string, expected: string) {
  const parse = (text: string) => {
    try {
      return JSON.parse(text) as { migrations: string[] } & Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const have = parse(stamp);
  const want = parse(expected);
  if (!have || !want || !Array.isArray(have.migrations)) return false;
  const { migrations: done, ...loadedBy } = have;
  const { migrations: all, ...loader } = want;
  if (JSON.stringify(loadedBy) !== JSON.stringify(loader)) return false;
  if (done.length >= all.length || done.some((m, i) => m !== all[i])) return false;
  await admin`alter database ${admin(template)} with is_template false allow_connections true`;
  const sql = createSql(databaseUrl(template), { max: 1 });
  try {
    await migrate(sql);
    await sql`vacuum analyze`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  await admin`alter database ${admin(template)} with is_template true allow_connections false`;
  await admin.unsafe(`comment on database ${template} is ${quoteLiteral(expected)}`);
  console.log(`template ${template} migrated forward (${all.length - done.length} migration(s))`);
  return true;
}

/** Drops a template database (a template must first stop being one). */
export async function dropTemplate(admin: Sql, template: string) {
  const [found] = await admin<{ n: number }[]>`
    select count(*)::int as n from pg_database where datname = ${template}`;
  if (found?.n !== 1) return;
  await admin`alter database ${admin(template)} with is_template false`;
  await admin`drop database ${admin(template)} with (force)`;
}

async function timed(steps: Record<string, number>, label: string, run: () => Promise<unknown>) {
  const started = performance.now();
  await run();
  steps[label] = (performance.now() - started) / 1000;
}

/** Package g of a host of version class c: Debian binaries 2k and 2k+1 share source k. */
function packageFact(g: number, versionClass: number): Fact {
  const name = g === 0 ? QUERY_PACKAGE : `pkg-${g}`;
  const source = g === 0 ? QUERY_PACKAGE : `src-${Math.floor(g / 2)}`;
  const version = `${1 + ((versionClass + g) % VERSION_CLASSES)}.${g % 10}-1`;
  const value: PackageFact = {
    name,
    epoch: null,
    version,
    release: null,
    arch: 'amd64',
    evr: version,
    source: { name: source, version },
    manager: 'dpkg',
  };
  return { kind: 'package', key: `${name}:amd64`, value };
}

function osFact(kernelClass: number): Fact {
  return {
    kind: 'os',
    key: 'os',
    value: {
      id: 'debian',
      versionId: '12',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      kernelRelease: `6.1.0-${18 + kernelClass}-amd64`,
    },
  };
}

/** A fact set as COPY text rows (kind, key, value, hash, bucket) and its set hashes. */
type FactLines = { lines: string[]; hash: string; bucketHashes: string };

/** The rows of a fact set, as COPY text (hashes as applyProbe computes them), once per class. */
function factLines(kind: string, facts: Fact[]): FactLines {
  const [set] = hashFactSets([kind], facts);
  if (!set) throw new Error(`no fact set of kind ${kind}`);
  const all = Array.from({ length: 64 }, (_, b) => b);
  const lines = hashFacts(set, all).map(
    (f) => `${f.kind}\t${copyText(f.key)}\t${copyText(f.json)}\t${f.hash}\t${f.bucket}`,
  );
  return { lines, hash: set.hash, bucketHashes: set.bucketHashes };
}

/** COPY's text format: backslash, tab and newlines escaped. */
function copyText(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

interface HostRow {
  id: string;
  n: number;
  probe_id: string;
  started_at: Date;
  finished_at: Date;
}

/**
 * Loads `hosts` Debian 12 hosts with `packages` dpkg packages each. Versions differ between
 * hosts (`<1..5>.<pkg % 10>-1`, by host rank modulo 5) so version filters and advisory ranges
 * split the fleet. host_facts' indexes are dropped during the load and rebuilt after:
 * building an index once is several times faster than maintaining eight of them row by row.
 */
export async function loadFleet(sql: Sql, size: FleetSize): Promise<LoadTimings> {
  const steps: Record<string, number> = {};
  const started = performance.now();
  const indexes = await sql<{ name: string; def: string }[]>`
    select indexname as name, indexdef as def from pg_indexes
    where tablename = 'host_facts' and indexname <> 'host_facts_pkey'`;
  let hosts: HostRow[] = [];
  await timed(steps, 'hosts', async () => {
    await sql`
      insert into hosts (name, address, username)
      select 'bench-' || lpad(g::text, 6, '0'), '10.' || (g / 65536) || '.' || (g / 256 % 256)
        || '.' || (g % 256), 'root'
      from generate_series(1, ${size.hosts}) g`;
    await sql`
      insert into intel_probes (host_id, type, reason, started_at, finished_at, status,
        collectors, fact_changes)
      select id, 'facts', 'scheduled', now() - make_interval(mins => ${METRICS_PROBES + 5}),
        now() - make_interval(mins => ${METRICS_PROBES + 4}),
        'ok', '{"os": {"status": "ok"}, "packages": {"status": "ok"}}', 0
      from hosts`;
    // The probe log as a runner leaves it: the last facts probe behind newer metrics probes.
    await sql`
      insert into intel_probes (host_id, type, reason, started_at, finished_at, status,
        collectors, fact_changes)
      select id, 'metrics', 'scheduled', now() - make_interval(mins => m),
        now() - make_interval(mins => m) + interval '2 seconds', 'ok',
        '{"metrics": {"status": "ok"}}', 0
      from hosts cross join generate_series(0, ${METRICS_PROBES - 1}) m`;
    hosts = await sql<HostRow[]>`
      select h.id, (row_number() over (order by h.name))::int as n, p.id as probe_id,
        p.started_at, p.finished_at
      from hosts h join intel_probes p on p.host_id = h.id and p.type = 'facts'
      order by h.name`;
  });
  for (const index of indexes) await sql`drop index ${sql(index.name)}`;
  // Autovacuum would start on the half-loaded table and compete with the load.
  await sql`alter table host_facts set (autovacuum_enabled = false)`;

  const packageClasses = Array.from({ length: VERSION_CLASSES }, (_, c) =>
    factLines(
      'package',
      Array.from({ length: size.packages }, (_, g) => packageFact(g, c)),
    ),
  );
  const osClasses = Array.from({ length: KERNEL_CLASSES }, (_, c) => factLines('os', [osFact(c)]));
  const classes = (h: HostRow) => ({
    package: packageClasses[h.n % VERSION_CLASSES] as FactLines,
    os: osClasses[h.n % KERNEL_CLASSES] as FactLines,
  });
  await timed(steps, 'facts (COPY)', () =>
    Promise.all(
      Array.from({ length: COPY_STREAMS }, (_, stream) =>
        copyFacts(
          sql,
          hosts.filter((_, i) => i % COPY_STREAMS === stream),
          classes,
        ),
      ),
    ),
  );
  await timed(
    steps,
    'fact kinds',
    () => sql`
    insert into host_fact_kinds (host_id, kind, baseline_probe_id, baseline_at, last_success_at,
      last_probe_id, facts_hash, bucket_hashes)
    select host_id, kind, probe_id, finished_at, finished_at, probe_id, hash, buckets
    from unnest(
      ${hosts.flatMap((h) => [h.id, h.id])}::uuid[],
      ${hosts.flatMap(() => ['package', 'os'])}::text[],
      ${hosts.flatMap((h) => [h.probe_id, h.probe_id])}::uuid[],
      ${hosts.flatMap((h) => [h.finished_at.toISOString(), h.finished_at.toISOString()])}::timestamptz[],
      ${hosts.flatMap((h) => [classes(h).package.hash, classes(h).os.hash])}::text[],
      ${hosts.flatMap((h) => [classes(h).package.bucketHashes, classes(h).os.bucketHashes])}::text[]
    ) as t(host_id, kind, probe_id, finished_at, hash, buckets)`,
  );
  // Two builds at a time: one per core.
  await timed(steps, 'indexes', () => {
    const queue = [...indexes];
    return Promise.all(
      Array.from({ length: COPY_STREAMS }, async () => {
        const connection = await sql.reserve();
        try {
          await connection`set maintenance_work_mem = '512MB'`;
          await connection`set max_parallel_maintenance_workers = 0`;
          // The definitions PostgreSQL itself printed (pg_indexes), replayed as they are.
          for (let index = queue.shift(); index; index = queue.shift()) {
            await connection.unsafe(index.def);
          }
        } finally {
          connection.release();
        }
      }),
    );
  });
  // Derived data is built by its own code, as the first reader after a migration would.
  await timed(steps, 'vuln index', async () => {
    await sql`
      insert into vuln_stale_hosts (host_id, part)
      select id, part from hosts cross join unnest(array['os', 'packages']) as part
      on conflict do nothing`;
    await refreshVulnIndex(sql);
  });
  await sql`alter table host_facts reset (autovacuum_enabled)`;
  // Sets the visibility map too: index-only scans work as on a long-running database.
  await timed(steps, 'vacuum analyze', () => sql`vacuum analyze`);
  return {
    seconds: (performance.now() - started) / 1000,
    rows: size.hosts * (size.packages + 1),
    steps,
  };
}

/** One COPY of the hosts' fact rows, one host's rows per write. */
async function copyFacts(
  sql: Sql,
  hosts: readonly HostRow[],
  classes: (h: HostRow) => { package: FactLines; os: FactLines },
) {
  const connection = await sql.reserve();
  try {
    await connection`set session_replication_role = replica`;
    const stream = await connection`
      copy host_facts (host_id, kind, key, value, value_hash, bucket, valid_from, first_probe_id)
      from stdin`.writable();
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    for (const host of hosts) {
      const { package: packages, os } = classes(host);
      const tail = `\t${host.finished_at.toISOString()}\t${host.probe_id}\n`;
      const text = [...os.lines, ...packages.lines].map((l) => `${host.id}\t${l}${tail}`);
      if (!stream.write(text.join(''))) await new Promise((r) => stream.once('drain', r));
    }
    stream.end();
    await done;
    await connection`reset session_replication_role`;
  } finally {
    connection.release();
  }
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

export function printFleet(size: FleetSize, fleet: BenchFleet) {
  if (fleet.load) {
    const steps = Object.entries(fleet.load.steps)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ');
    console.log(
      `loaded ${size.hosts} hosts × ${size.packages} packages (${fleet.load.rows} fact rows) ` +
        `into template ${fleet.template} in ${fleet.load.seconds.toFixed(1)} s (${steps})`,
    );
  } else {
    console.log(`template ${fleet.template} reused (its migrations and generator are current)`);
  }
  console.log(
    `cloned into ${fleet.name} in ${fleet.cloneSeconds.toFixed(1)} s, its probe log moved to ` +
      `now in ${fleet.moveSeconds.toFixed(1)} s`,
  );
}
