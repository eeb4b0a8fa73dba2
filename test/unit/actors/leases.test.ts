// The lease loop's decisions (fair share, hysteresis, gradual release) and its machine
// (cadence, fencing, clean stop), over an in-memory lease table with the semantics of
// sql/leases.ts: the integration tests run the same against PostgreSQL.

import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  fairShare,
  type LeasePolicy,
  leasePolicy,
  pickReleases,
  planClass,
  planLeases,
} from '../../../actors/lease-plan.ts';
import {
  type LeaseLoop,
  type LeaseStore,
  leaseTick,
  startLeaseLoop,
  type TickMode,
} from '../../../actors/leases.ts';
import type { HeldLease } from '../../../sql/leases.ts';

const TTL = 3_000;
const policy = leasePolicy(TTL);

describe('fair share and the plan', () => {
  it('is ceil(total / live runners), all of it for a lone runner', () => {
    expect(fairShare(300, 3)).toBe(100);
    expect(fairShare(301, 3)).toBe(101);
    expect(fairShare(2, 3)).toBe(1);
    expect(fairShare(0, 3)).toBe(0);
    expect(fairShare(10, 0)).toBe(10);
  });

  it('claims up to the share, releases only above share + slack, a step at a time', () => {
    const p = { slack: 1, releaseFraction: 0.25 };
    expect(planClass(40, 300, 3, p, true)).toEqual({ claim: 60, release: 0 });
    expect(planClass(100, 300, 3, p, true)).toEqual({ claim: 0, release: 0 });
    expect(planClass(101, 300, 3, p, true)).toEqual({ claim: 0, release: 0 });
    expect(planClass(102, 300, 3, p, true)).toEqual({ claim: 0, release: 2 });
    // 300 held, share 100: at most a quarter of the share goes per heartbeat.
    expect(planClass(300, 300, 3, p, true)).toEqual({ claim: 0, release: 25 });
    expect(planClass(300, 300, 3, p, false)).toEqual({ claim: 0, release: 0 });
    // A tiny share still releases one at a time.
    expect(planClass(5, 6, 3, p, true)).toEqual({ claim: 0, release: 1 });
  });

  it('shares enabled and disabled hosts apart', () => {
    const held: HeldLease[] = [
      ...Array.from({ length: 10 }, (_, i) => lease(`e${i}`, true)),
      ...Array.from({ length: 6 }, (_, i) => lease(`d${i}`, false)),
    ];
    const plan = planLeases(
      { held, liveRunners: 2, hosts: { enabled: 40, disabled: 6 } },
      policy,
      true,
    );
    expect(plan).toEqual({
      claim: { enabled: 10, disabled: 0 },
      // Share 3, slack 1: a quarter of the share per heartbeat, at least one.
      release: { enabled: 0, disabled: 1 },
      share: 20,
    });
  });

  it('never releases a host whose probe is running, and takes the last ids first', () => {
    const held = ['h1', 'h2', 'h3', 'h4'].map((id) => lease(id, true));
    expect(pickReleases(held, { enabled: 2, disabled: 0 }, () => false)).toEqual(['h4', 'h3']);
    expect(pickReleases(held, { enabled: 2, disabled: 0 }, (id) => id === 'h4')).toEqual([
      'h3',
      'h2',
    ]);
    expect(pickReleases(held, { enabled: 9, disabled: 0 }, (id) => id !== 'h1')).toEqual(['h1']);
    expect(pickReleases(held, { enabled: 0, disabled: 3 }, () => false)).toEqual([]);
  });
});

// ---- An in-memory lease table ----

interface LeaseRow {
  runner: string | null;
  claims: number;
  enabled: boolean;
}

class FakeDb {
  readonly runners = new Map<string, number>();
  readonly leases = new Map<string, LeaseRow>();
  /** Every claim: (host, runner), in order. */
  readonly claimLog: { hostId: string; runner: string }[] = [];
  down = false;
  constructor(public now: () => number) {}

  addHosts(n: number, enabled = true): void {
    const start = this.leases.size;
    for (let i = start; i < start + n; i++) {
      this.leases.set(`h${String(i).padStart(4, '0')}`, { runner: null, claims: 0, enabled });
    }
  }

  /** A lease holds while its runner's heartbeat does. */
  live(runner: string | null): boolean {
    return runner !== null && (this.runners.get(runner) ?? 0) > this.now();
  }

  owners(): Map<string, string[]> {
    const byRunner = new Map<string, string[]>();
    for (const [id, l] of this.leases) {
      if (l.runner === null || !this.live(l.runner)) continue;
      byRunner.set(l.runner, [...(byRunner.get(l.runner) ?? []), id]);
    }
    return byRunner;
  }

  #check(): void {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:55432');
  }

  #held(runner: string): HeldLease[] {
    return [...this.leases]
      .filter(([, l]) => l.runner === runner)
      .map(([hostId, l]) => ({ hostId, enabled: l.enabled, claims: l.claims }));
  }

  retired = 0;

  store(runner: string, ttlMs: number): LeaseStore {
    const db = this;
    return {
      async heartbeat() {
        db.#check();
        const expiresAt = db.now() + ttlMs;
        const others = [...db.runners].filter(([id, e]) => id !== runner && e > db.now()).length;
        db.runners.set(runner, expiresAt);
        const all = [...db.leases.values()];
        return {
          expiresAt: new Date(expiresAt),
          held: db.#held(runner),
          liveRunners: others + 1,
          hosts: {
            enabled: all.filter((l) => l.enabled).length,
            disabled: all.filter((l) => !l.enabled).length,
          },
          serverStartedAt: new Date(0),
        };
      },
      async claim(want) {
        db.#check();
        const expiresAt = db.runners.get(runner) ?? 0;
        if (expiresAt <= db.now()) return [];
        const left = { ...want };
        const gained: HeldLease[] = [];
        for (const [hostId, l] of [...db.leases].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const key = l.enabled ? 'enabled' : 'disabled';
          if (left[key] <= 0 || db.live(l.runner)) continue;
          Object.assign(l, { runner, claims: l.claims + 1 });
          db.claimLog.push({ hostId, runner });
          gained.push({ hostId, enabled: l.enabled, claims: l.claims });
          left[key]--;
        }
        return gained;
      },
      async release(hostIds) {
        db.#check();
        const released: string[] = [];
        for (const id of hostIds) {
          const l = db.leases.get(id);
          if (l?.runner !== runner) continue;
          l.runner = null;
          released.push(id);
        }
        return released;
      },
      async retire() {
        db.#check();
        db.retired++;
        const mine = db.#held(runner);
        for (const { hostId } of mine) Object.assign(db.leases.get(hostId) ?? {}, { runner: null });
        db.runners.set(runner, db.now());
        return mine.length;
      },
      async sweep() {},
      async announce() {},
    };
  }
}

function lease(hostId: string, enabled: boolean, claims = 1): HeldLease {
  return { hostId, enabled, claims };
}

/** A runner driven tick by tick (no machine): what the supervisor would hold. */
function tickRunner(db: FakeDb, id: string, p: LeasePolicy = policy) {
  const store = db.store(id, p.ttlMs);
  const runner = {
    id,
    held: new Set<string>() as ReadonlySet<string>,
    async tick(mode: TickMode = 'full') {
      const out = await leaseTick(
        {
          mode,
          beat: await store.heartbeat(),
          held: runner.held,
          policy: p,
          deps: {
            store,
            apply: async (next) => {
              runner.held = next;
            },
            busy: () => false,
          },
        },
        new AbortController().signal,
      );
      runner.held = out.held;
      return out;
    },
  };
  return runner;
}

function expectPartition(db: FakeDb, runners: { held: ReadonlySet<string> }[]): void {
  const all = runners.flatMap((r) => [...r.held]);
  expect(new Set(all).size, 'no host held twice').toBe(all.length);
  expect(all.length, 'every host held').toBe(db.leases.size);
}

describe('several runners over one lease table', () => {
  it('two runners split the hosts evenly, three rebalance with each moved host moving once', async () => {
    let now = 0;
    const db = new FakeDb(() => now);
    db.addHosts(300);
    const a = tickRunner(db, 'a');
    const b = tickRunner(db, 'b');
    await a.tick(); // alone: takes everything
    expect(a.held.size).toBe(300);
    for (let round = 0; round < 10; round++) {
      now += policy.heartbeatMs;
      await b.tick();
      await a.tick();
    }
    expectPartition(db, [a, b]);
    expect([a.held.size, b.held.size]).toEqual([150, 150]);

    const claimsBefore = db.claimLog.length;
    const c = tickRunner(db, 'c');
    const rounds: number[] = [];
    for (let round = 0; round < 20; round++) {
      now += policy.heartbeatMs;
      await c.tick();
      await a.tick();
      await b.tick();
      rounds.push(db.claimLog.length);
    }
    expectPartition(db, [a, b, c]);
    const sizes = [a.held.size, b.held.size, c.held.size];
    for (const size of sizes) expect(Math.abs(size - 100)).toBeLessThanOrEqual(1);
    // Exactly the hosts C needed moved, each once: no thrash.
    const moved = db.claimLog.slice(claimsBefore);
    expect(moved.length).toBe(c.held.size);
    expect(new Set(moved.map((m) => m.hostId)).size).toBe(moved.length);
    expect(moved.every((m) => m.runner === 'c')).toBe(true);
    // Gradual: at most a quarter of the share left each runner per heartbeat.
    expect(rounds[0]).toBeLessThanOrEqual(claimsBefore + 2 * 25);
    // And then it stays put.
    expect(rounds.at(-1)).toBe(rounds.at(-6));
  });

  it('a dead runner’s hosts go to the others once its lease expires, and not before', async () => {
    let now = 0;
    const db = new FakeDb(() => now);
    db.addHosts(90);
    const runners = ['a', 'b', 'c'].map((id) => tickRunner(db, id));
    for (let round = 0; round < 12; round++) {
      now += policy.heartbeatMs;
      for (const r of runners) await r.tick();
    }
    expect(runners.map((r) => r.held.size)).toEqual([30, 30, 30]);
    type R = ReturnType<typeof tickRunner>;
    const [a, b, dead] = runners as [R, R, R];
    const lost = [...dead.held];
    const killedAt = now;
    // Just before the expiry the hosts are still dead's; one heartbeat after it, they are not.
    now = killedAt + TTL - 1;
    await a.tick();
    await b.tick();
    expect(a.held.size + b.held.size).toBe(60);
    now = killedAt + TTL;
    await a.tick();
    await b.tick();
    expect(a.held.size + b.held.size).toBe(90);
    expect(lost.every((id) => a.held.has(id) || b.held.has(id))).toBe(true);
    expect([a.held.size, b.held.size]).toEqual([45, 45]);
  });

  it('a woken tick claims but never releases; disabled hosts are shared too', async () => {
    let now = 0;
    const db = new FakeDb(() => now);
    db.addHosts(20);
    db.addHosts(4, false);
    const a = tickRunner(db, 'a');
    const b = tickRunner(db, 'b');
    await a.tick();
    expect(a.held.size).toBe(24);
    now += 100;
    await b.tick('claim'); // b joins: a is far above its share, but a woken tick keeps all
    await a.tick('claim');
    expect(a.held.size).toBe(24);
    for (let round = 0; round < 6; round++) {
      now += policy.heartbeatMs;
      await a.tick();
      await b.tick('claim');
    }
    expectPartition(db, [a, b]);
    const disabled = (r: typeof a) => [...r.held].filter((id) => !db.leases.get(id)?.enabled);
    // Shares: 10 enabled and 2 disabled each, give or take the slack of one.
    for (const r of [a, b]) {
      expect(Math.abs(r.held.size - disabled(r).length - 10)).toBeLessThanOrEqual(1);
      expect(Math.abs(disabled(r).length - 2)).toBeLessThanOrEqual(1);
    }
  });

  it('a renew-only tick (draining) keeps what it holds and claims nothing', async () => {
    let now = 0;
    const db = new FakeDb(() => now);
    db.addHosts(10);
    const a = tickRunner(db, 'a');
    await a.tick('renew');
    expect(a.held.size).toBe(0);
    await a.tick();
    now += TTL - 1;
    await a.tick('renew');
    now += TTL - 1;
    expect(db.owners().get('a')).toHaveLength(10);
  });
});

// ---- The machine, on a simulated clock ----

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('the lease machine', () => {
  let loop: LeaseLoop | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  function harness() {
    const clock = new SimulatedClock();
    clock.set(1_000_000);
    const db = new FakeDb(() => clock.now());
    db.addHosts(12);
    const store = db.store('a', TTL);
    let heartbeats = 0;
    const counted: LeaseStore = {
      ...store,
      heartbeat: () => {
        heartbeats++;
        return store.heartbeat();
      },
    };
    const applied: number[] = [];
    loop = startLeaseLoop(
      {
        policy,
        now: () => clock.now(),
        deps: {
          store: counted,
          apply: async (held) => {
            applied.push(held.size);
          },
          busy: () => false,
        },
      },
      { clock },
    );
    const advance = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        clock.increment(50);
        await settle();
      }
    };
    return { clock, db, store, loop, applied, advance, heartbeats: () => heartbeats };
  }

  it('heartbeats every TTL/3 and holds what it claimed', async () => {
    const h = harness();
    await h.loop.ready;
    await settle();
    expect(h.loop.held().size).toBe(12);
    expect(h.applied).toEqual([12]);
    await h.advance(3 * policy.heartbeatMs);
    expect(h.heartbeats()).toBe(4);
    expect(h.applied).toEqual([12]); // nothing changed: the supervisor is not bothered
  });

  it('stops every actor before its leases can expire when it cannot renew, and resumes', async () => {
    const h = harness();
    await h.loop.ready;
    await settle();
    h.db.down = true;
    await h.advance(TTL * policy.fenceRatio - 100);
    expect(h.loop.held().size).toBe(12);
    await h.advance(200);
    expect(h.loop.held().size, 'fenced before the database expires the leases').toBe(0);
    expect(h.applied.at(-1)).toBe(0);
    expect(h.loop.stats().fenced).toBe(1);
    // Nobody took the hosts meanwhile: the next good heartbeat renews and resumes them.
    h.db.down = false;
    await h.advance(policy.heartbeatMs + 100);
    expect(h.loop.held().size).toBe(12);
    expect(h.applied.at(-1)).toBe(12);
  });

  it('releases every lease on stop', async () => {
    const h = harness();
    await h.loop.ready;
    await settle();
    await h.loop.stop();
    loop = undefined;
    expect(h.db.retired).toBe(1);
    expect(h.db.owners().size).toBe(0);
    expect(h.loop.held().size).toBe(0);
  });

  it('claims soon after a wake-up instead of at the next heartbeat', async () => {
    const h = harness();
    await h.loop.ready;
    await settle();
    h.db.addHosts(3);
    h.loop.wake();
    await h.advance(policy.minGapMs + 50);
    expect(h.loop.held().size).toBe(15);
    expect(h.heartbeats()).toBe(2);
  });
});
