// bench:scale — 10,000 simulated hosts held by ONE runner process at the product's cadences
// (facts every hour, metrics every minute, each ±10 %), against a real TimescaleDB database.
//
//   node deploy/dev/test-env.js tsx test/bench/scale.bench.ts
//     [--hosts 10000] [--minutes 5] [--concurrency 32] [--spread-seconds 300]
//     [--address 127.0.2.1] [--port 20000] [--rebuild] [--keep] [--profile DIR] [--heap DIR]
//     [--runner-node-options '--max-old-space-size=256']  (V8 flags of the runner process)
//     [--ssh-pool MAX_OPEN]  (the runner keeps up to MAX_OPEN metrics connections open:
//                             RunnerOptions.sshPool; default off, as in the product)
//
// Three processes: the fleet simulator (test/sim, ssh2's server side, its fd limit raised to
// the hard limit), the runner (test/bench/scale-runner.ts: the real startRunner, SSH
// collectors, probe store and metrics batcher), and this one, which orchestrates and measures.
//
//   template  A database where every host already has its facts baseline (a facts probe of
//             each simulated host stored by applyProbe), kept as a template,
//             hostintel_bench_scale_<N>h, stamped with the migrations and the fleet's seed, so
//             later runs clone it in seconds. --rebuild forces a new one.
//   restart   The runner starts on a clone: every host's first probe (facts, unchanged since
//             the baseline) is spread over the start-up spread (5 min by default), as after a
//             deploy; measured until the spread is over plus one metrics interval.
//   steady    --minutes of the steady cadence: ~N/60 metrics probes a second plus N/3600
//             facts probes.
//
// Per phase: runner CPU (% of one core) and RSS (peak), event-loop delay, probe lag (due →
// started: the due time from the host actor, the start from intel_probes) p50/p99/max and
// its two parts (the actor's timer, then the wait for a concurrency slot), probes/s by type
// and outcome, DB writes (tuples/s; metrics rows/s), and the simulator's and the server's
// CPU for context. Goals (issue #8): < 50 % of one core, < 500 MB RSS, lag p99 < 5 s.
// Not a test: nothing is asserted. Databases it creates start with hostintel_bench_scale_; the
// clone is dropped at the end (--keep keeps it), the template is kept on purpose.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probe } from '../../collectors/probe.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import { createCredential } from '../../sql/credentials.ts';
import { applyProbe } from '../../sql/facts.ts';
import { hostsForRunner, sshTarget } from '../../sql/hosts.ts';
import { listMigrations, migrate } from '../../sql/migrate.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import type { DueRecord, FromRunner, RunnerSample, ToRunner } from './scale-runner.ts';
import { processCpuSeconds, type Sim, startSim } from './sim-process.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    'spread-seconds': { type: 'string' },
    address: { type: 'string', default: '127.0.2.1' },
    port: { type: 'string', default: '20000' },
    seed: { type: 'string', default: 'bench-scale' },
    'sample-seconds': { type: 'string', default: '10' },
    rebuild: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
    heap: { type: 'string' },
    'ssh-pool': { type: 'string', default: '0' },
    'runner-node-options': { type: 'string', default: '' },
  },
});
const HOSTS = Number(values.hosts);
const MINUTES = Number(values.minutes);
const CONCURRENCY = Number(values.concurrency);
/** The product's default start-up spread (host-machine.ts) unless given. */
const SPREAD_MS =
  values['spread-seconds'] === undefined ? 300_000 : Number(values['spread-seconds']) * 1000;
const METRICS_INTERVAL_MS = 60_000;
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const SSH_POOL = Number(values['ssh-pool']);
/** A simulator process holds a descriptor per host plus one per open connection. */
const SIM_PROCESSES = HOSTS + SSH_POOL > 15_000 ? 2 : 1;
// Bump when what the template holds changes (rows, registration): stale templates are rebuilt.
const GENERATOR = 2;
const PRIME_CONCURRENCY = 8;

const here = import.meta.dirname;
const repo = path.resolve(here, '../..');
const adminUrl = process.env.HOSTINTEL_TEST_DATABASE_URL;
if (!adminUrl) {
  console.error('HOSTINTEL_TEST_DATABASE_URL is not set: run through deploy/dev/test-env.js');
  process.exit(2);
}
const databaseUrl = (name: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---- processes ----

interface RunnerProcess {
  child: ChildProcess;
  ready: { hosts: number; at: number };
  sample(): Promise<RunnerSample>;
  /** Due records of the probes that finished so far, whose due time is in [from, to). */
  dues(from: number, to: number): DueRecord[];
  heap(file: string): Promise<string>;
  profile(action: 'start' | 'stop', file?: string): Promise<void>;
  stop(): Promise<void>;
}

async function startRunnerProcess(
  database: string,
  secretKey: string,
  spreadMs?: number,
): Promise<RunnerProcess> {
  const child = fork(path.join(here, 'scale-runner.ts'), [], {
    cwd: repo,
    execArgv: ['--import', 'tsx', ...values['runner-node-options'].split(' ').filter(Boolean)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      SCALE_DATABASE_URL: databaseUrl(database),
      SCALE_SECRET_KEY: secretKey,
      SCALE_CONCURRENCY: String(CONCURRENCY),
      SCALE_SSH_POOL: String(SSH_POOL),
      ...(spreadMs === undefined ? {} : { SCALE_SPREAD_MS: String(spreadMs) }),
    },
  });
  const next = <T extends FromRunner['type']>(type: T) =>
    new Promise<Extract<FromRunner, { type: T }>>((resolve, reject) => {
      const onMessage = (message: FromRunner) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<FromRunner, { type: T }>);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`the runner process exited (${code}) waiting for "${type}"`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = <T extends FromRunner['type']>(request: ToRunner, type: T) => {
    const answer = next(type);
    child.send(request);
    return answer;
  };
  const ready = await next('ready');
  const dues: DueRecord[] = [];
  return {
    child,
    ready,
    async sample() {
      const answer = await ask({ type: 'sample' }, 'sample');
      dues.push(...answer.dues);
      return answer.sample;
    },
    dues: (from, to) => dues.filter((d) => d.dueAt >= from && d.dueAt < to),
    heap: async (file) => (await ask({ type: 'heap', file }, 'heap')).file,
    async profile(action, file) {
      if (action === 'start') child.send({ type: 'profile', action });
      else await ask({ type: 'profile', action, file: file ?? 'runner.cpuprofile' }, 'profiled');
    },
    async stop() {
      if (child.exitCode !== null) return;
      const stopped = ask({ type: 'stop' }, 'stopped').catch(() => undefined);
      await Promise.race([stopped, sleep(30_000)]);
      await Promise.race([once(child, 'exit'), sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ---- database ----

function templateName(): string {
  return `hostintel_bench_scale_${HOSTS}h`;
}

async function expectedStamp(): Promise<string> {
  const migrations = (await listMigrations()).map((m) => `${m.version}-${m.name}`);
  const { address, port, seed } = values;
  return JSON.stringify({ generator: GENERATOR, hosts: HOSTS, seed, address, port, migrations });
}

async function templateStamp(admin: Sql, name: string) {
  const [row] = await admin<{ stamp: string | null }[]>`
    select shobj_description(oid, 'pg_database') as stamp from pg_database
    where datname = ${name}`;
  return row?.stamp ?? null;
}

/** Every simulated host, registered as an operator would: pinned host key, strict policy. */
async function registerFleet(sql: Sql, sim: Sim, secretKey: string) {
  const box = createSecretBox(Buffer.from(secretKey, 'base64'));
  const credential = await createCredential(sql, box, {
    name: 'bench-scale',
    secret: { type: 'privateKey', privateKey: sim.privateKey },
  });
  const { hosts } = sim;
  await sql`
    insert into hosts (name, address, port, username, host_key_policy, host_key,
      host_key_pinned_at, sudo, credential_id)
    select name, address, port, username, 'strict', host_key, now(), true, ${credential.id}
    from unnest(${hosts.map((h) => h.name)}::text[], ${hosts.map((h) => h.address)}::text[],
      ${hosts.map((h) => h.port)}::int[], ${hosts.map((h) => h.username)}::text[],
      ${hosts.map((h) => h.hostKey)}::text[]) as t(name, address, port, username, host_key)`;
  await sql`create table bench_scale_key (key text not null)`;
  await sql`insert into bench_scale_key values (${secretKey})`;
}

/**
 * Builds the template: migrate, register the fleet, and give every host its facts baseline —
 * a real facts probe of the simulated host stored by applyProbe, PRIME_CONCURRENCY at a time.
 * Not through the runner: a cold start's 10,000 baselines (every fact written) outlast the
 * probe timeout in the runner's queue on a loaded 2-core machine, and retries in backoff make
 * it take hours. What the bench measures starts after this.
 */
async function buildTemplate(admin: Sql, sim: Sim, template: string, stamp: string) {
  log(`building ${template}: registering ${HOSTS} hosts and probing each for its baseline`);
  await admin`alter database ${admin(template)} is_template false`.catch(() => {});
  await admin`drop database if exists ${admin(template)} with (force)`;
  await admin`create database ${admin(template)}`;
  const sql = createSql(databaseUrl(template), { max: PRIME_CONCURRENCY + 1 });
  const secretKey = randomBytes(32).toString('base64');
  try {
    await migrate(sql, { timescale: true });
    await registerFleet(sql, sim, secretKey);
    const box = createSecretBox(Buffer.from(secretKey, 'base64'));
    const hosts = await hostsForRunner(sql);
    const started = Date.now();
    let next = 0;
    let done = 0;
    let failed = 0;
    const progress = setInterval(
      () => log(`  baselines: ${done}/${hosts.length} hosts (${failed} probes failed)`),
      30_000,
    );
    const lane = async () => {
      for (let host = hosts[next++]; host; host = hosts[next++]) {
        const target = sshTarget(host, box);
        if (!target) throw new Error(`host ${host.name} has no credential`);
        for (let attempt = 1; ; attempt++) {
          const result = await probe(target, { type: 'facts', sudo: host.sudo });
          if (result.outcome === 'ok' || result.outcome === 'partial') {
            await applyProbe(sql, host.id, result);
            done++;
            break;
          }
          failed++;
          if (attempt === 3) throw new Error(`${host.name}: ${result.error}`);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: PRIME_CONCURRENCY }, lane));
    } finally {
      clearInterval(progress);
    }
    log(`  ${done} baselines in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await admin.unsafe(`comment on database ${template} is ${quoteLiteral(stamp)}`);
  await admin`alter database ${admin(template)} with allow_connections false is_template true`;
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${template}`;
}

/** COMMENT takes no parameters: the stamp as an SQL string literal. */
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

// ---- measurement ----

interface DbCounters {
  at: number;
  tuples: number;
  commits: number;
}

async function dbCounters(sql: Sql): Promise<DbCounters> {
  const [row] = await sql<{ tuples: number; commits: number }[]>`
    select (select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::float8
            from pg_stat_user_tables) as tuples,
           (select xact_commit::float8 from pg_stat_database
            where datname = current_database()) as commits`;
  return { at: Date.now(), tuples: row?.tuples ?? 0, commits: row?.commits ?? 0 };
}

/** CPU seconds of every server process of this database (its backends) right now. */
async function serverCpuSeconds(admin: Sql, database: string): Promise<number | null> {
  const backends = await admin<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${database}`;
  let total = 0;
  for (const { pid } of backends) {
    const cpu = processCpuSeconds(pid);
    if (cpu === null) return null;
    total += cpu;
  }
  return total;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);

interface PhaseReport {
  name: string;
  seconds: number;
  cpuPercent: number;
  cpuPercentProc: number | null;
  rssPeakMb: number;
  rssEndMb: number;
  heapEndMb: number;
  heapTotalEndMb: number;
  externalEndMb: number;
  /** Runner crashes the bench absorbed (scale-runner.ts `survivable`). */
  uncaught: number;
  loopP99Ms: number;
  loopMaxMs: number;
  queuedPeak: number;
  probes: { type: string; status: string; n: number }[];
  errors: { error: string; n: number }[];
  lag: { n: number; p50: number; p99: number; max: number; timerP99: number; queueP99: number };
  lagMissing: number;
  tuplesPerSecond: number;
  commitsPerSecond: number;
  metricsRowsPerSecond: number;
  simCpuPercent: number | null;
  serverCpuPercent: number | null;
  states: Record<string, number>;
  batcher: RunnerSample['metrics'];
  /** Pool counters over the phase (reused, connected, stale) and its size at the end. */
  sshPool: { open: number; reused: number; connected: number; stale: number } | null;
}

interface PhaseStart {
  sample: RunnerSample;
  proc: number | null;
  sim: number | null;
  server: number | null;
  db: DbCounters;
}

async function phaseStart(ctx: MeasureContext): Promise<PhaseStart> {
  return {
    sample: await ctx.runner.sample(),
    proc: processCpuSeconds(ctx.runner.child.pid),
    sim: ctx.sim.cpuSeconds(),
    server: await serverCpuSeconds(ctx.admin, ctx.database),
    db: await dbCounters(ctx.sql),
  };
}

interface MeasureContext {
  runner: RunnerProcess;
  sim: Sim;
  sql: Sql;
  admin: Sql;
  database: string;
}

/** Waits `ms` in SAMPLE_MS steps, keeping the peaks the runner reports per step. */
async function hold(ctx: MeasureContext, ms: number, label: string) {
  const end = Date.now() + ms;
  const peaks = { rss: 0, loopP99: 0, loopMax: 0, queued: 0, uncaught: 0 };
  let printed = 0;
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
    const s = await ctx.runner.sample();
    peaks.rss = Math.max(peaks.rss, s.rssPeak);
    peaks.loopP99 = Math.max(peaks.loopP99, s.loopP99);
    peaks.loopMax = Math.max(peaks.loopMax, s.loopMax);
    peaks.queued = Math.max(peaks.queued, s.queuedPeak);
    peaks.uncaught += s.uncaught.length;
    if (Date.now() - printed >= 60_000) {
      printed = Date.now();
      const states = Object.entries(s.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      log(
        `  ${label}: ${states}; limiter ${s.limiter.active} active, ${s.limiter.queued} ` +
          `queued; RSS ${(s.rss / 2 ** 20).toFixed(0)} MB; loop p99 ${s.loopP99.toFixed(0)} ms`,
      );
    }
  }
  return peaks;
}

async function phaseEnd(
  ctx: MeasureContext,
  name: string,
  start: PhaseStart,
  peaks: Awaited<ReturnType<typeof hold>>,
): Promise<PhaseReport> {
  const end = await phaseStart(ctx);
  const from = start.sample.at;
  const to = end.sample.at;
  const seconds = (to - from) / 1000;
  const cpuSeconds =
    (end.sample.cpuUser + end.sample.cpuSystem - start.sample.cpuUser - start.sample.cpuSystem) /
    1e6;
  const pct = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (100 * (b - a)) / seconds;
  const fromDate = new Date(from);
  const toDate = new Date(to);
  const probes = await ctx.sql<{ type: string; status: string; n: number }[]>`
    select type, status, count(*)::int as n from (
      select type, status, started_at from intel_probes
      union all select type, 'running', started_at from intel_probes_running) p
    where started_at >= ${fromDate} and started_at < ${toDate}
    group by 1, 2 order by 1, 2`;
  const errors = await ctx.sql<{ error: string; n: number }[]>`
    select coalesce(error_code, '') || ': ' || left(coalesce(error, ''), 120) as error,
      count(*)::int as n
    from intel_probes
    where started_at >= ${fromDate} and started_at < ${toDate}
      and status in ('failed', 'timeout')
    group by 1 order by 2 desc limit 5`;
  const [metricRows] = await ctx.sql<{ n: number }[]>`
    select (select count(*) from host_metrics where time >= ${fromDate} and time < ${toDate})
      + (select count(*) from fs_metrics where time >= ${fromDate} and time < ${toDate})
      + (select count(*) from net_metrics where time >= ${fromDate} and time < ${toDate})
      + (select count(*) from disk_metrics where time >= ${fromDate} and time < ${toDate})
      as n`;

  // Lag: the due time the actor had, against the start the probe recorded.
  const dues = ctx.runner.dues(from, to);
  const started = new Map<string, number>();
  for (let i = 0; i < dues.length; i += 5000) {
    const ids = dues.slice(i, i + 5000).map((d) => d.probeId);
    const rows = await ctx.sql<{ id: string; startedAt: Date }[]>`
      select id, started_at as "startedAt" from intel_probes
      where id = any(${ids}::uuid[]) and started_at >= ${new Date(from - 600_000)}`;
    for (const row of rows) started.set(row.id, row.startedAt.getTime());
  }
  const lags: number[] = [];
  const timer: number[] = [];
  const queue: number[] = [];
  for (const d of dues) {
    const at = started.get(d.probeId);
    if (at === undefined) continue;
    lags.push(at - d.dueAt);
    timer.push(d.actorStartedAt - d.dueAt);
    queue.push(at - d.actorStartedAt);
  }
  for (const xs of [lags, timer, queue]) xs.sort((a, b) => a - b);
  return {
    name,
    seconds,
    cpuPercent: (100 * cpuSeconds) / seconds,
    cpuPercentProc: pct(start.proc, end.proc),
    rssPeakMb: Math.max(peaks.rss, end.sample.rssPeak) / 2 ** 20,
    rssEndMb: end.sample.rss / 2 ** 20,
    heapEndMb: end.sample.heapUsed / 2 ** 20,
    heapTotalEndMb: end.sample.heapTotal / 2 ** 20,
    externalEndMb: end.sample.external / 2 ** 20,
    uncaught: peaks.uncaught + end.sample.uncaught.length,
    loopP99Ms: Math.max(peaks.loopP99, end.sample.loopP99),
    loopMaxMs: Math.max(peaks.loopMax, end.sample.loopMax),
    queuedPeak: Math.max(peaks.queued, end.sample.queuedPeak),
    probes,
    errors,
    lag: {
      n: lags.length,
      p50: quantile(lags, 0.5),
      p99: quantile(lags, 0.99),
      max: lags.at(-1) ?? Number.NaN,
      timerP99: quantile(timer, 0.99),
      queueP99: quantile(queue, 0.99),
    },
    lagMissing: dues.length - lags.length,
    tuplesPerSecond: (end.db.tuples - start.db.tuples) / seconds,
    commitsPerSecond: (end.db.commits - start.db.commits) / seconds,
    metricsRowsPerSecond: Number(metricRows?.n ?? 0) / seconds,
    simCpuPercent: pct(start.sim, end.sim),
    serverCpuPercent: pct(start.server, end.server),
    states: end.sample.states,
    batcher: end.sample.metrics,
    sshPool:
      end.sample.sshPool === null
        ? null
        : {
            open: end.sample.sshPool.open,
            reused: end.sample.sshPool.reused - (start.sample.sshPool?.reused ?? 0),
            connected: end.sample.sshPool.connected - (start.sample.sshPool?.connected ?? 0),
            stale: end.sample.sshPool.stale - (start.sample.sshPool?.stale ?? 0),
          },
  };
}

function printPhase(r: PhaseReport) {
  const ms = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : 'n/a');
  const byType = (type: string) =>
    r.probes.filter((p) => p.type === type).reduce((n, p) => n + p.n, 0);
  const failed = r.probes
    .filter((p) => p.status === 'failed' || p.status === 'timeout')
    .reduce((n, p) => n + p.n, 0);
  const total = byType('facts') + byType('metrics');
  const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`\n== ${r.name} (${r.seconds.toFixed(0)} s)`);
  console.log(
    `  runner CPU        ${r.cpuPercent.toFixed(1)} % of one core` +
      (r.cpuPercentProc === null ? '' : ` (/proc: ${r.cpuPercentProc.toFixed(1)} %)`) +
      `  — goal < 50 %: ${goal(r.cpuPercent < 50)}`,
  );
  console.log(
    `  runner RSS        peak ${r.rssPeakMb.toFixed(0)} MB, end ${r.rssEndMb.toFixed(0)} MB ` +
      `(heap ${r.heapEndMb.toFixed(0)} of ${r.heapTotalEndMb.toFixed(0)} MB, external ` +
      `${r.externalEndMb.toFixed(0)} MB)  — goal < 500 MB: ${goal(r.rssPeakMb < 500)}`,
  );
  if (r.uncaught > 0) {
    console.log(
      `  RUNNER CRASHES    ${r.uncaught} × ssh2 'error' after a failed handshake (transport.ts ` +
        'listens once): the real runner would have exited; the bench kept it alive',
    );
  }
  console.log(
    `  probe lag         p50 ${ms(r.lag.p50)}, p99 ${ms(r.lag.p99)}, max ${ms(r.lag.max)} ` +
      `over ${r.lag.n} probes — goal p99 < 5 s: ${goal(r.lag.p99 < 5000)}`,
  );
  console.log(
    `    of which        actor timer p99 ${ms(r.lag.timerP99)}, wait for a slot + ` +
      `loading the host p99 ${ms(r.lag.queueP99)}` +
      (r.lagMissing > 0 ? `; ${r.lagMissing} probes without a recorded start` : ''),
  );
  console.log(
    `  probes            ${(total / r.seconds).toFixed(1)}/s (facts ${byType('facts')}, ` +
      `metrics ${byType('metrics')}); failed or timed out ${failed}` +
      `; statuses ${r.probes.map((p) => `${p.type}/${p.status} ${p.n}`).join(', ')}`,
  );
  for (const e of r.errors) console.log(`    ${e.n} × ${e.error}`);
  console.log(
    `  DB writes         ${r.tuplesPerSecond.toFixed(0)} tuples/s (all tables), ` +
      `${r.metricsRowsPerSecond.toFixed(0)} metrics rows/s, ${r.commitsPerSecond.toFixed(0)} ` +
      `commits/s`,
  );
  console.log(
    `  event loop        delay p99 ${r.loopP99Ms.toFixed(0)} ms (worst ${SAMPLE_MS / 1000} s ` +
      `window), max ${r.loopMaxMs.toFixed(0)} ms; limiter queue peak ${r.queuedPeak}`,
  );
  console.log(
    `  metrics batcher   pending ${r.batcher.pending}, failures ${r.batcher.failures}, ` +
      `dropped ${r.batcher.dropped}; actors ${JSON.stringify(r.states)}`,
  );
  if (r.sshPool) {
    const p = r.sshPool;
    console.log(
      `  SSH pool          ${p.reused} probes on a kept connection, ${p.connected} new ` +
        `connections, ${p.stale} found dead; ${p.open} open at the end`,
    );
  }
  const context = [
    r.simCpuPercent === null ? null : `simulator ${r.simCpuPercent.toFixed(0)} %`,
    r.serverCpuPercent === null ? null : `PostgreSQL backends ${r.serverCpuPercent.toFixed(0)} %`,
  ].filter(Boolean);
  if (context.length > 0) console.log(`  same machine      ${context.join(', ')} of one core`);
}

async function main() {
  const admin = createSql(adminUrl as string, { max: 1 });
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-bench-scale-'));
  const clone = `hostintel_bench_scale_${process.pid}`;
  let sim: Sim | undefined;
  let sql: Sql | undefined;
  let runner: RunnerProcess | undefined;
  // Ctrl-C: the child processes are stopped rather than left running (the runner child also
  // exits when this process's IPC channel goes away).
  const interrupted = (signal: string) => {
    log(`${signal}: stopping the runner and the simulator`);
    void Promise.allSettled([runner?.stop(), sim?.stop()]).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(
      `bench:scale: ${HOSTS} hosts, facts every 1 h, metrics every 60 s, concurrency ` +
        `${CONCURRENCY}, start-up spread ${SPREAD_MS / 1000} s, steady phase ${MINUTES} min, ` +
        `SSH pool ${SSH_POOL > 0 ? `up to ${SSH_POOL} connections` : 'off'}` +
        (values['runner-node-options'] ? `, runner ${values['runner-node-options']}` : '') +
        '; ' +
        `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    sim = await startSim({
      hosts: HOSTS,
      address: values.address,
      port: Number(values.port),
      seed: values.seed,
      dir,
      processes: SIM_PROCESSES,
    });
    log(
      `simulator up: ${sim.hosts.length} hosts on ${values.address}:${values.port}+ ` +
        `(${sim.processes.length} process${sim.processes.length > 1 ? 'es' : ''})`,
    );

    const template = templateName();
    const stamp = await expectedStamp();
    if (values.rebuild || (await templateStamp(admin, template)) !== stamp) {
      await buildTemplate(admin, sim, template, stamp);
    } else log(`using the primed template ${template}`);
    await admin`drop database if exists ${admin(clone)} with (force)`;
    await admin.unsafe(`create database ${clone} template ${template} strategy file_copy`);
    sql = createSql(databaseUrl(clone), { max: 2 });
    // The credential's key travels with the template (a throwaway key for simulated hosts).
    const [key] = await sql<{ key: string }[]>`select key from bench_scale_key`;
    if (!key) throw new Error(`${template} has no bench_scale_key`);
    const secretKey = key.key;

    runner = await startRunnerProcess(
      clone,
      secretKey,
      values['spread-seconds'] === undefined ? undefined : SPREAD_MS,
    );
    log(`runner up: ${runner.ready.hosts} host actors`);
    const ctx: MeasureContext = { runner, sim, sql, admin, database: clone };

    const restartStart = await phaseStart(ctx);
    const restartPeaks = await hold(ctx, SPREAD_MS + METRICS_INTERVAL_MS, 'restart');
    const restart = await phaseEnd(
      ctx,
      'restart: every host probed for facts once, spread over the start-up spread',
      restartStart,
      restartPeaks,
    );
    printPhase(restart);

    const steadyStart = await phaseStart(ctx);
    if (values.profile) await runner.profile('start');
    const steadyPeaks = await hold(ctx, MINUTES * 60_000, 'steady');
    if (values.profile) {
      const file = path.resolve(values.profile, `scale-runner-${HOSTS}h.cpuprofile`);
      await runner.profile('stop', file);
      log(`CPU profile of the steady phase: ${file}`);
    }
    if (values.heap) {
      const file = await runner.heap(
        path.resolve(values.heap, `scale-runner-${HOSTS}h.heapsnapshot`),
      );
      log(`heap snapshot at the end of the steady phase: ${file}`);
    }
    const steady = await phaseEnd(
      ctx,
      `steady state: ${MINUTES} min at the regular cadence`,
      steadyStart,
      steadyPeaks,
    );
    printPhase(steady);
    console.log(
      `\nload average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} ` +
        '(2 cores, shared with other work: CPU and lag include its contention)',
    );
  } finally {
    await runner?.stop();
    await sql?.end({ timeout: 5 });
    await sim?.stop();
    if (!values.keep) await admin`drop database if exists ${admin(clone)} with (force)`;
    else log(`kept the database ${clone}`);
    await admin.end({ timeout: 5 });
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
