// The database restarts while a runner probes: the runner recovers by itself (same process),
// at most the probes in flight are lost, and nothing is half-written — every probe in the log
// is complete (with its facts) or failed, and every fact row belongs to a completed probe.
//
// The shared test server on 55432 is never touched (other test files use it at the same time):
// this file starts its own PostgreSQL 17 + TimescaleDB cluster in the dev chroot
// (deploy/dev/timescaledb.sh does the same for the shared one), on a free port, in a temporary
// data directory, and stops it by its PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '../../sql/client.ts';
import { migrate } from '../../sql/migrate.ts';
import { createProbeRequestClient } from '../../sql/runners.ts';
import { type Fleet, startFleet } from '../sim/fleet.ts';
import {
  type RunnerProcess,
  registerFleet,
  secretKey,
  spawnRunner,
  until,
} from './runners-support.ts';

const TRIXIE = path.join(process.env.HOSTINTEL_DEV_ROOT ?? '/var/lib/hostintel-dev', 'trixie');
const HOSTS = 30;
const SLOW = 8; // hosts that answer 1.5 s late: probes in flight whenever the server stops
const TTL_MS = 3_000;

/** A command as `postgres` inside the chroot, as deploy/dev/lib.sh's in_trixie runs it. */
function inTrixie(args: string[]): [string, string[]] {
  return [
    'chroot',
    [
      TRIXIE,
      '/usr/bin/env',
      '-i',
      'PATH=/usr/lib/postgresql/17/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'LANG=C.UTF-8',
      'HOME=/var/lib/postgresql',
      '/usr/bin/setpriv',
      '--reuid=postgres',
      '--regid=postgres',
      '--init-groups',
      '--',
      ...args,
    ],
  ];
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** A throwaway cluster; start() spawns the postmaster itself, so its PID is the child's. */
class PrivateCluster {
  readonly hostDir: string;
  readonly dir: string;
  postmaster: ChildProcess | undefined;
  log = '';
  constructor(readonly port: number) {
    this.hostDir = mkdtempSync(path.join(TRIXIE, 'tmp', 'hostintel-db-restart-'));
    this.dir = `/tmp/${path.basename(this.hostDir)}`;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  init(): void {
    execFileSync('chroot', [TRIXIE, 'chown', 'postgres:postgres', this.dir]);
    execFileSync('chroot', [TRIXIE, 'chmod', '0700', this.dir]);
    const [cmd, args] = inTrixie([
      'initdb',
      '-D',
      `${this.dir}/data`,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    execFileSync(cmd, args, { stdio: 'ignore' });
    appendFileSync(
      path.join(this.hostDir, 'data', 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        `port = ${this.port}`,
        `unix_socket_directories = '${this.dir}'`,
        "shared_preload_libraries = 'timescaledb'",
        'max_connections = 100',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'timescaledb.telemetry_level = off',
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    const [cmd, args] = inTrixie(['postgres', '-D', `${this.dir}/data`]);
    const postmaster = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    postmaster.stdout?.on('data', (c) => (this.log = (this.log + c).slice(-20_000)));
    postmaster.stderr?.on('data', (c) => (this.log = (this.log + c).slice(-20_000)));
    this.postmaster = postmaster;
    await until(
      'the private cluster to accept connections',
      async () => {
        const probe = createSql(`${this.url}/postgres`, { max: 1 });
        const ok = await probe`select 1`.then(
          () => true,
          () => undefined,
        );
        await probe.end({ timeout: 1 });
        return ok;
      },
      60_000,
      () => this.log,
    );
  }

  /** Stops the postmaster by its PID: SIGINT is PostgreSQL's fast shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    const postmaster = this.postmaster;
    if (!postmaster || postmaster.exitCode !== null || postmaster.signalCode !== null) return;
    const exited = new Promise((r) => postmaster.once('exit', r));
    postmaster.kill(signal);
    const timer = setTimeout(() => postmaster.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  remove(): void {
    rmSync(this.hostDir, { recursive: true, force: true });
  }
}

let cluster: PrivateCluster;
let sql: Sql;
let fleet: Fleet;
let runner: RunnerProcess;
const key = secretKey();

beforeAll(async () => {
  cluster = new PrivateCluster(await freePort());
  cluster.init();
  await cluster.start();
  const admin = createSql(`${cluster.url}/postgres`, { max: 1 });
  await admin`create database hostintel`;
  await admin.end();
  sql = createSql(`${cluster.url}/hostintel`, { max: 4 });
  const info = await migrate(sql);
  expect(info.timescaledb).toBeTruthy();

  const faults = Object.fromEntries(
    Array.from({ length: SLOW }, (_, i) => [i, { type: 'slow' as const, ms: 1_500 }]),
  );
  fleet = await startFleet({ hosts: HOSTS, seed: 'db-restart', faults });
  await registerFleet(sql, fleet, key.box, {
    factsIntervalS: 10,
    metricsIntervalS: 5,
    collectors: ['os', 'packages'],
  });
  runner = spawnRunner(
    `${cluster.url}/hostintel`,
    {
      HOSTINTEL_LEASE_TTL_S: String(TTL_MS / 1000),
      HOSTINTEL_SECRET_KEY: key.base64,
      HOSTINTEL_PROBE_CONCURRENCY: '16',
    },
    'db-restart-runner',
  );
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  await fleet?.stop();
  await sql?.end({ timeout: 1 });
  await cluster?.stop();
  cluster?.remove();
});

const explain = () => `${runner.output(40)}\n--- postgres ---\n${cluster.log.slice(-3000)}`;

async function probedSince(at: Date): Promise<number> {
  const [row] = await sql<{ hosts: number }[]>`
    select count(distinct host_id)::int as hosts from intel_probes
    where status = 'ok' and type = 'facts' and started_at > ${at}`;
  return row?.hosts ?? 0;
}

describe('a database restart during probes', () => {
  let restartedAt: Date;

  it('probes every host before the restart', async () => {
    await until(
      'a facts probe of every host',
      async () => ((await probedSince(new Date(0))) === HOSTS ? true : undefined),
      60_000,
      explain,
    );
  }, 90_000);

  it('recovers by itself once the server is back', async () => {
    await until(
      'probes in flight',
      async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from intel_probes_running`;
        return (row?.n ?? 0) >= 3 ? true : undefined;
      },
      30_000,
      explain,
    );
    // Fast shutdown with probes in flight; down for longer than the lease TTL.
    await cluster.stop('SIGINT');
    fleet.drift('all', 1);
    await new Promise((r) => setTimeout(r, 2 * TTL_MS));
    await cluster.start();
    restartedAt = new Date();

    await until(
      'every host probed again',
      async () => ((await probedSince(restartedAt)) === HOSTS ? true : undefined),
      60_000,
      explain,
    );
    expect(runner.child.exitCode, 'the same runner process').toBeNull();
    expect(runner.output(1_000)).toContain('database reachable again');

    // Its LISTENs came back too: a probe request (NOTIFY) reaches it and is answered.
    const [host] = await sql<{ id: string }[]>`
      select h.id from hosts h join host_leases l on l.host_id = h.id
        join runners r on r.id = l.runner_id
      where r.expires_at > now() order by h.name desc limit 1`;
    const requests = createProbeRequestClient(sql, { timeoutMs: 5_000 });
    try {
      const answer = await until(
        'an answer to a probe request',
        async () => {
          const a = await requests.request(host?.id ?? '');
          return a.accepted || a.reason !== 'unknown-host' ? a : undefined;
        },
        30_000,
        explain,
      );
      expect(answer.accepted || answer.reason === 'in-flight').toBe(true);
    } finally {
      await requests.close();
    }
  }, 150_000);

  it('lost at most the probes in flight, and wrote nothing by halves', async () => {
    // Probes started before the stop and never finished were closed as abandoned.
    await until(
      'no probe from before the restart left running',
      async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from intel_probes_running where started_at < ${restartedAt}`;
        return row?.n === 0 ? true : undefined;
      },
      30_000,
      explain,
    );
    const [log] = await sql<{ duplicates: number; incomplete: number; lost: number; ok: number }[]>`
      select
        (select count(*)::int from (
          select id from intel_probes group by id having count(*) > 1) d) as duplicates,
        (select count(*)::int from intel_probes
          where (status in ('ok', 'partial') and (collectors = '{}' or finished_at is null))
             or (status in ('failed', 'timeout') and error is null)) as incomplete,
        (select count(*)::int from intel_probes
          where status = 'failed' and started_at < ${restartedAt}
            and finished_at > ${restartedAt} - ${3 * TTL_MS} * interval '1 millisecond') as lost,
        (select count(*)::int from intel_probes where status = 'ok') as ok`;
    console.log(`db restart: probe log ${JSON.stringify(log)}`);
    expect(log).toMatchObject({ duplicates: 0, incomplete: 0 });
    expect(log?.lost).toBeLessThanOrEqual(16);

    // Every fact row, change and kind state points at a probe that completed.
    const orphans = await sql<{ what: string; n: number }[]>`
      with good as (select id from intel_probes where status in ('ok', 'partial'))
      select 'opened by' as what, count(*)::int as n from host_facts
        where first_probe_id not in (select id from good)
      union all
      select 'closed by', count(*)::int from host_facts
        where closed_probe_id is not null and closed_probe_id not in (select id from good)
      union all
      select 'changed by', count(*)::int from host_fact_changes
        where probe_id not in (select id from good)
      union all
      select 'baseline of', count(*)::int from host_fact_kinds
        where baseline_probe_id not in (select id from good)`;
    expect(orphans.filter((o) => o.n > 0)).toEqual([]);
    // Each host has exactly one open row per fact key, packages included.
    const [facts] = await sql<{ hosts: number; doubled: number }[]>`
      select (select count(distinct host_id)::int from host_facts
          where kind = 'package' and valid_to is null) as hosts,
        (select count(*)::int from (
          select 1 from host_facts where valid_to is null
          group by host_id, kind, key having count(*) > 1) d) as doubled`;
    expect(facts).toEqual({ hosts: HOSTS, doubled: 0 });
  }, 60_000);
});
