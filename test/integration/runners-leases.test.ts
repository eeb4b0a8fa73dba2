// Lease loops against PostgreSQL: several runners in one process, each on its own connection
// pool as separate processes would be. Ownership is read from host_leases itself; handovers are
// counted from its `claims` column. Also: closing abandoned probes never touches a probe
// whose host lock is held (another live runner's), and a probe closed meanwhile is not
// recorded twice when it ends after all.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Batcher } from '../../actors/batcher.ts';
import { leasePolicy } from '../../actors/lease-plan.ts';
import {
  LEASES_CHANNEL,
  type LeaseLoop,
  sqlLeaseStore,
  startLeaseLoop,
} from '../../actors/leases.ts';
import { createProbeStore } from '../../actors/probe-store.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import type { MetricRows } from '../../sql/metrics.ts';
import { abandonRunningProbes, probeById, startProbe } from '../../sql/probes.ts';
import { type Channel, listenChannel, listRunners } from '../../sql/runners.ts';
import { withSafeSessions } from '../../sql/safe-sessions.ts';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase();
const TTL = 2_000;
const policy = leasePolicy(TTL);
const HOSTS = 100;

interface TestRunner {
  id: string;
  loop: LeaseLoop;
  held(): ReadonlySet<string>;
  /** A clean stop: releases every lease. */
  stop(): Promise<void>;
  /** Death: its database sessions end at once and nothing is released. */
  kill(): Promise<void>;
}

const running: TestRunner[] = [];

async function startTestRunner(name: string): Promise<TestRunner> {
  const sql = createSql(db.url, { max: 3 });
  const identity = { id: randomUUID(), name, hostname: 'test', pid: process.pid, version: 'test' };
  let held: ReadonlySet<string> = new Set();
  const loop = startLeaseLoop({
    policy,
    deps: {
      store: sqlLeaseStore(sql, identity, TTL),
      apply: async (next) => {
        held = next;
      },
      busy: () => false,
    },
  });
  // As actors/runner.ts does: another runner's release wakes this one up.
  const channel: Channel = await listenChannel(sql, LEASES_CHANNEL, (id) => {
    if (id !== identity.id) loop.wake();
  });
  await loop.ready;
  const runner: TestRunner = {
    id: identity.id,
    loop,
    held: () => held,
    async stop() {
      await channel.close();
      await loop.stop();
      await sql.end({ timeout: 1 });
    },
    async kill() {
      await sql.end({ timeout: 0 });
      await loop.stop(); // its retire fails: the connections are gone
    },
  };
  running.push(runner);
  return runner;
}

afterAll(async () => {
  for (const r of running) await r.stop().catch(() => {});
});

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const stats = running.map((r) => JSON.stringify(r.loop.stats())).join('\n');
      throw new Error(`timed out waiting for ${what}\n${stats}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** host → owner, for valid leases only. */
async function owners(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql<{ hostId: string; runnerId: string }[]>`
    select l.host_id as "hostId", l.runner_id as "runnerId"
    from host_leases l join runners r on r.id = l.runner_id
    where r.expires_at > now()`;
  return new Map(rows.map((r) => [r.hostId, r.runnerId]));
}

async function claims(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ hostId: string; claims: number }[]>`
    select host_id as "hostId", claims::int from host_leases`;
  return new Map(rows.map((r) => [r.hostId, r.claims]));
}

/** Each runner's hosts in memory are exactly its valid leases, and together all hosts. */
async function expectPartition(runners: TestRunner[]): Promise<void> {
  const owned = await owners(db.sql);
  expect(owned.size).toBe(HOSTS);
  for (const r of runners) {
    const fromDb = [...owned].filter(([, runner]) => runner === r.id).map(([host]) => host);
    expect(new Set(fromDb)).toEqual(new Set(r.held()));
  }
}

/**
 * Every runner holds about H/n hosts: at most share + slack (1), and so at least what that
 * leaves (a runner that claimed while it still counted one runner less may end at share + 1).
 */
const balanced = (runners: TestRunner[]) => {
  const share = Math.ceil(HOSTS / runners.length);
  const least = HOSTS - (runners.length - 1) * (share + 1);
  return runners.every((r) => r.held().size >= least && r.held().size <= share + 1);
};

describe('lease loops sharing one database', () => {
  let a: TestRunner;
  let b: TestRunner;
  let c: TestRunner;

  it('two runners claim disjoint sets that together hold every host', async () => {
    await db.sql`
      insert into hosts (name, address, username)
      select 'lease-' || g, '192.0.2.1', 'probe' from generate_series(1, ${HOSTS}) g`;
    a = await startTestRunner('a');
    expect(a.held().size).toBe(HOSTS); // alone, it takes everything at once
    b = await startTestRunner('b');
    await until('a even split', async () => (balanced([a, b]) ? true : undefined));
    await expectPartition([a, b]);
    expect(a.held().size + b.held().size).toBe(HOSTS);
  });

  it('a third runner gets its share; each host moves at most once (no thrash)', async () => {
    const before = await claims(db.sql);
    c = await startTestRunner('c');
    await until('a three-way split', async () => (balanced([a, b, c]) ? true : undefined));
    // Stable: three more heartbeats change nothing.
    await new Promise((r) => setTimeout(r, 3 * policy.heartbeatMs));
    expect(balanced([a, b, c])).toBe(true);
    await expectPartition([a, b, c]);
    const after = await claims(db.sql);
    const moves = [...after].map(([host, n]) => n - (before.get(host) ?? 0));
    expect(Math.max(...moves)).toBe(1);
    // What C needed, plus at most one host per old runner that, having released down to the
    // floor, took one back below its share.
    const moved = moves.reduce((sum, n) => sum + n, 0);
    expect(moved).toBeGreaterThanOrEqual(c.held().size);
    expect(moved).toBeLessThanOrEqual(c.held().size + 2);
  });

  it('lists the runners with their heartbeats and hosts', async () => {
    const rows = await listRunners(db.sql, { limit: 10 });
    expect(rows.map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(rows.every((r) => r.live && r.heartbeatAgeMs < TTL && r.ttlMs === TTL)).toBe(true);
    expect(rows.reduce((sum, r) => sum + r.hosts, 0)).toBe(HOSTS);
    expect(rows.find((r) => r.name === 'c')?.hosts).toBe(c.held().size);
  });

  it('a dead runner’s hosts are taken by the others within 2 × TTL', async () => {
    const lost = new Set(c.held());
    const killedAt = Date.now();
    await c.kill();
    const takenAt = await until(
      'the others to hold every host',
      async () => {
        const owned = await owners(db.sql);
        const ok = owned.size === HOSTS && [...owned.values()].every((r) => r !== c.id);
        return ok ? Date.now() : undefined;
      },
      4 * TTL,
    );
    expect(takenAt - killedAt).toBeLessThanOrEqual(2 * TTL);
    await until('both to have followed', async () =>
      [...lost].every((id) => a.held().has(id) || b.held().has(id)) ? true : undefined,
    );
    await expectPartition([a, b]);
    const [dead] = (await listRunners(db.sql, { limit: 10 })).filter((r) => r.name === 'c');
    expect(dead).toMatchObject({ live: false, hosts: 0, stoppedAt: null });
  });

  it('a clean stop hands every host over at once (NOTIFY), well before the TTL', async () => {
    const stoppedAt = Date.now();
    await b.stop();
    const takenAt = await until(
      'a to hold everything',
      async () =>
        (await owners(db.sql)).size === HOSTS && a.held().size === HOSTS ? Date.now() : undefined,
      4 * TTL,
    );
    expect(takenAt - stoppedAt).toBeLessThan(policy.heartbeatMs);
    await expectPartition([a]);
    const [stopped] = (await listRunners(db.sql, { limit: 10 })).filter((r) => r.name === 'b');
    expect(stopped?.live).toBe(false);
    expect(stopped?.stoppedAt).toBeInstanceOf(Date);
  });
});

describe('probes that can never finish', () => {
  it('are closed only when no session holds their host lock, and never recorded twice', async () => {
    const [host] = await db.sql<{ id: string }[]>`
      insert into hosts (name, address, username) values ('abandon-1', '192.0.2.9', 'u')
      returning id`;
    const hostId = host?.id ?? '';
    const metrics = new Batcher<MetricRows>(async () => {}, { intervalMs: 1000, maxItems: 10 });
    // As the runner builds it: its reserved connections survive their session's end.
    const store = createProbeStore(withSafeSessions(db.sql), metrics);
    const probeId = randomUUID();
    const startedAt = new Date();
    expect(await store.begin(hostId, probeId, 'facts', startedAt, 'scheduled')).toBe(true);
    // A live runner's probe (its lock is held) is never closed, whoever sweeps.
    expect(await abandonRunningProbes(db.sql)).toBe(0);
    expect((await probeById(db.sql, probeId))?.status).toBe('running');
    // A probe row of another host whose runner died (no session holds its lock) is closed.
    const [other] = await db.sql<{ id: string }[]>`
      insert into hosts (name, address, username) values ('abandon-2', '192.0.2.9', 'u')
      returning id`;
    const orphan = await startProbe(db.sql, { hostId: other?.id ?? '', type: 'metrics' });
    expect(await abandonRunningProbes(db.sql)).toBe(1);
    expect(await probeById(db.sql, orphan.id)).toMatchObject({
      status: 'failed',
      errorCode: 'abandoned',
    });

    // The runner's session dies (as in a database restart): its lock goes, the probe is closed…
    await db.sql`
      select pg_terminate_backend(pid) from pg_locks
      where locktype = 'advisory' and database = (select oid from pg_database
        where datname = current_database()) and pid <> pg_backend_pid()`;
    await until('the lock to go', async () =>
      (await abandonRunningProbes(db.sql)) === 1 ? true : undefined,
    );
    // …and when the probe ends after all, it is not recorded a second time.
    const finishedAt = new Date();
    await expect(
      store.finish(hostId, probeId, {
        type: 'facts',
        startedAt: new Date(startedAt.getTime() + 2),
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        bytes: 10,
        hostKey: null,
        outcome: 'failed',
        error: 'connection lost',
        errorCode: 'disconnected',
        collectors: {},
      }),
    ).rejects.toThrow(/already recorded/);
    const rows = await db.sql`select status, error_code from intel_probes where id = ${probeId}`;
    expect(rows).toEqual([{ status: 'failed', error_code: 'abandoned' }]);
    await metrics.close();
  });
});
