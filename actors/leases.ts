// The lease loop of one runner process: which hosts it probes when several runners share a
// database (DESIGN §6). Every heartbeat (TTL/3) it renews its registration and all its leases
// to now + TTL (database clock), claims free or expired hosts up to its fair share, gives up
// surplus gradually when runners join, closes probes that can never finish, and has the
// supervisor follow the hosts it holds.
//
//   beating   the heartbeat: registers the runner and renews all its leases in one statement.
//             Its success alone restarts the fence timer, however long what follows takes.
//   claiming  the invoked `tick`. Its mode: `full` on the heartbeat cadence; `claim` when woken
//             early (a host was added, a runner released hosts) — claims but never releases,
//             so releases keep the heartbeat's pace; `renew` while draining (nothing more).
//   waiting   until the next heartbeat, or sooner (but not within minGapMs) when woken.
//   fencing   the leases could not be renewed for fenceRatio × TTL: the runner stops every
//             actor before another runner may claim its hosts. The next good heartbeat gets
//             back whatever nobody claimed meanwhile.
//   stopping  a clean stop: every lease released and the runner marked stopped, so the others
//             take its hosts at once (they are woken by NOTIFY hostintel_leases).
import {
  type Actor,
  type ActorOptions,
  assign,
  cancel,
  createActor,
  fromPromise,
  raise,
  setup,
  waitFor,
} from 'xstate';
import type { Sql } from '../sql/client.ts';
import {
  type Beat,
  claimHosts,
  type HeldLease,
  heartbeat,
  purgeRunners,
  type RunnerIdentity,
  releaseHosts,
  retireRunner,
} from '../sql/leases.ts';
import { abandonRunningProbes } from '../sql/probes.ts';
import { type LeasePolicy, pickReleases, planLeases } from './lease-plan.ts';

// ---- One heartbeat ----

/** The database side of the loop (sql/leases.ts in the runner, a fake in tests). */
export interface LeaseStore {
  heartbeat(): Promise<Beat>;
  claim(want: { enabled: number; disabled: number }): Promise<HeldLease[]>;
  release(hostIds: readonly string[]): Promise<string[]>;
  /** Releases everything and marks the runner stopped. */
  retire(): Promise<number>;
  /** Housekeeping of the shared tables: probes that can never finish, long-dead runners. */
  sweep(): Promise<void>;
  /** Tells the other runners that hosts were released (they claim without waiting). */
  announce(): Promise<void>;
}

export interface LeaseDeps {
  store: LeaseStore;
  /** Makes the runner follow `held`; resolves once actors of hosts not in it are stopped. */
  apply(held: ReadonlySet<string>, leases: readonly HeldLease[]): Promise<void>;
  /** Whether the host's probe is running in this process. */
  busy(hostId: string): boolean;
  /** The database came back (its server restarted, or the last heartbeat failed). */
  reconnected?(): Promise<void> | void;
}

export type TickMode = 'full' | 'claim' | 'renew';

export interface BeatInput {
  failures: number;
  serverStartedAt: number | null;
  deps: LeaseDeps;
}

/** The heartbeat alone: its success is what renews the leases (the fence timer restarts). */
export async function leaseBeat(input: BeatInput): Promise<Beat> {
  const beat = await input.deps.store.heartbeat();
  const serverStartedAt = beat.serverStartedAt.getTime();
  if (
    input.failures > 0 ||
    (input.serverStartedAt !== null && input.serverStartedAt !== serverStartedAt)
  ) {
    await input.deps.reconnected?.();
  }
  return beat;
}

export interface TickInput {
  mode: TickMode;
  /** What the heartbeat just renewed, and the counts the fair share comes from. */
  beat: Beat;
  held: ReadonlySet<string>;
  policy: LeasePolicy;
  deps: LeaseDeps;
}

export interface TickOutput {
  held: ReadonlySet<string>;
  claimed: number;
  released: number;
  /** Leases this runner thought it held that another runner had claimed. */
  lost: number;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((id) => b.has(id));

/** What follows a heartbeat: claim up to the share, release surplus, follow the result. */
export async function leaseTick(input: TickInput, signal: AbortSignal): Promise<TickOutput> {
  const { store } = input.deps;
  const { beat } = input;
  let held = beat.held;
  const renewed = new Set(held.map((l) => l.hostId));
  const lost = [...input.held].filter((id) => !renewed.has(id)).length;
  if (input.mode === 'renew') return { held: input.held, claimed: 0, released: 0, lost };
  const plan = planLeases(beat, input.policy, input.mode === 'full');
  let claimed = 0;
  let released = 0;
  if (plan.claim.enabled > 0 || plan.claim.disabled > 0) {
    const gained = await store.claim(plan.claim);
    claimed = gained.length;
    held = [...held, ...gained];
  }
  const victims = pickReleases(held, plan.release, input.deps.busy);
  if (victims.length > 0) {
    // Their actors stop before the leases go: no other runner can start on them meanwhile.
    const gone = new Set(victims);
    const kept = held.filter((l) => !gone.has(l.hostId));
    signal.throwIfAborted();
    await input.deps.apply(new Set(kept.map((l) => l.hostId)), kept);
    released = (await store.release(victims)).length;
    held = kept;
    await store.announce();
  }
  // Before any new actor starts: a dead runner's probes are closed, so a new owner's probe
  // never overlaps one in the probe log.
  await store.sweep();
  const next = new Set(held.map((l) => l.hostId));
  signal.throwIfAborted();
  if (!sameSet(next, input.held)) await input.deps.apply(next, held);
  return { held: next, claimed, released, lost };
}

// ---- The machine ----

export interface LeaseInput {
  policy: LeasePolicy;
  deps: LeaseDeps;
  now: () => number;
}

export interface LeaseContext extends LeaseInput {
  held: ReadonlySet<string>;
  failures: number;
  /** Local time at the start of the last heartbeat that renewed (null: none yet). */
  renewedAt: number | null;
  serverStartedAt: number | null;
  lastTickAt: number;
  lastFullAt: number;
  woken: boolean;
  draining: boolean;
  ticks: number;
  tickStartedAt: number;
  lastError: string | null;
  /** The last good heartbeat, for the step that follows it. */
  beat: Beat | null;
  liveRunners: number;
  share: number;
  /** Running totals, for tests and metrics. */
  claimed: number;
  released: number;
  lost: number;
  fenced: number;
}

export type LeaseEvent =
  | { type: 'WAKE' }
  | { type: 'DRAIN' }
  | { type: 'STOP' }
  | { type: 'LAPSE' };

const EMPTY: ReadonlySet<string> = new Set();

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const leaseMachine = setup({
  types: {
    context: {} as LeaseContext,
    events: {} as LeaseEvent,
    input: {} as LeaseInput,
  },
  actors: {
    beat: fromPromise<Beat, BeatInput>(({ input }) => leaseBeat(input)),
    tick: fromPromise<TickOutput, TickInput>(({ input, signal }) => leaseTick(input, signal)),
    fence: fromPromise<void, { deps: LeaseDeps }>(({ input }) => input.deps.apply(EMPTY, [])),
    retire: fromPromise<void, { deps: LeaseDeps; timeoutMs: number }>(async ({ input }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, input.timeoutMs);
      });
      // A database that is down cannot be told: the leases then simply expire.
      const retired = input.deps.store
        .retire()
        .then(() => input.deps.store.announce())
        .catch(() => {});
      await Promise.race([retired, timeout]);
      clearTimeout(timer);
    }),
  },
  delays: {
    next: ({ context }) => {
      const gap = context.woken ? context.policy.minGapMs : context.policy.heartbeatMs;
      return Math.max(0, context.lastTickAt + gap - context.now());
    },
    tickTimeout: ({ context }) => context.policy.ttlMs,
  },
  guards: {
    holdsAny: ({ context }) => context.held.size > 0,
  },
  actions: {
    scheduleLapse: raise(
      { type: 'LAPSE' },
      {
        id: 'lapse',
        delay: ({ context }) =>
          Math.max(
            0,
            (context.renewedAt ?? context.now()) +
              context.policy.ttlMs * context.policy.fenceRatio -
              context.now(),
          ),
      },
    ),
    cancelLapse: cancel('lapse'),
  },
}).createMachine({
  id: 'leases',
  context: ({ input }) => ({
    ...input,
    held: EMPTY,
    failures: 0,
    renewedAt: null,
    serverStartedAt: null,
    lastTickAt: input.now(),
    lastFullAt: Number.NEGATIVE_INFINITY,
    woken: false,
    draining: false,
    ticks: 0,
    tickStartedAt: input.now(),
    lastError: null,
    beat: null,
    liveRunners: 0,
    share: 0,
    claimed: 0,
    released: 0,
    lost: 0,
    fenced: 0,
  }),
  initial: 'beating',
  on: {
    STOP: '.stopping',
    DRAIN: { actions: assign({ draining: true }) },
  },
  states: {
    beating: {
      entry: assign(({ context }) => {
        const now = context.now();
        const full =
          now - context.lastFullAt >= context.policy.heartbeatMs - context.policy.minGapMs;
        return { tickStartedAt: now, woken: false, ...(full ? { lastFullAt: now } : {}) };
      }),
      invoke: {
        src: 'beat',
        input: ({ context }) => ({
          failures: context.failures,
          serverStartedAt: context.serverStartedAt,
          deps: context.deps,
        }),
        onDone: {
          target: 'claiming',
          actions: [
            assign(({ context, event }) => ({
              beat: event.output,
              failures: 0,
              renewedAt: context.tickStartedAt,
              serverStartedAt: event.output.serverStartedAt.getTime(),
              lastTickAt: context.tickStartedAt,
              liveRunners: event.output.liveRunners,
              share: planLeases(event.output, context.policy, false).share,
            })),
            'cancelLapse',
            'scheduleLapse',
          ],
        },
        onError: {
          target: 'waiting',
          actions: assign(({ context, event }) => ({
            failures: context.failures + 1,
            lastTickAt: context.tickStartedAt,
            ticks: context.ticks + 1,
            lastError: errorText(event.error),
          })),
        },
      },
      after: {
        tickTimeout: {
          target: 'waiting',
          actions: assign(({ context }) => ({
            failures: context.failures + 1,
            lastTickAt: context.tickStartedAt,
            ticks: context.ticks + 1,
            lastError: 'the heartbeat did not finish within the lease TTL',
          })),
        },
      },
      on: {
        WAKE: { actions: assign({ woken: true }) },
        LAPSE: { guard: 'holdsAny', target: 'fencing' },
      },
    },
    claiming: {
      invoke: {
        src: 'tick',
        input: ({ context }) => ({
          mode: context.draining
            ? ('renew' as const)
            : context.lastFullAt === context.tickStartedAt
              ? ('full' as const)
              : ('claim' as const),
          beat: context.beat as Beat,
          held: context.held,
          policy: context.policy,
          deps: context.deps,
        }),
        onDone: {
          target: 'waiting',
          actions: assign(({ context, event }) => ({
            held: event.output.held,
            ticks: context.ticks + 1,
            lastError: null,
            claimed: context.claimed + event.output.claimed,
            released: context.released + event.output.released,
            lost: context.lost + event.output.lost,
          })),
        },
        onError: {
          target: 'waiting',
          actions: assign(({ context, event }) => ({
            failures: context.failures + 1,
            ticks: context.ticks + 1,
            lastError: errorText(event.error),
          })),
        },
      },
      on: {
        WAKE: { actions: assign({ woken: true }) },
        LAPSE: { guard: 'holdsAny', target: 'fencing' },
      },
    },
    waiting: {
      after: { next: 'beating' },
      on: {
        WAKE: { target: 'waiting', reenter: true, actions: assign({ woken: true }) },
        LAPSE: { guard: 'holdsAny', target: 'fencing' },
      },
    },
    fencing: {
      invoke: {
        src: 'fence',
        input: ({ context }) => ({ deps: context.deps }),
        onDone: 'waiting',
        onError: 'waiting',
      },
      exit: assign(({ context }) => ({ held: EMPTY, fenced: context.fenced + 1 })),
    },
    stopping: {
      entry: 'cancelLapse',
      invoke: {
        src: 'retire',
        input: ({ context }) => ({ deps: context.deps, timeoutMs: context.policy.ttlMs }),
        onDone: 'stopped',
        onError: 'stopped',
      },
      on: { STOP: {}, LAPSE: {} },
    },
    stopped: { type: 'final', entry: assign({ held: EMPTY }) },
  },
});

// ---- Running it ----

/** Runners tell each other through this channel that hosts were released. */
export const LEASES_CHANNEL = 'hostintel_leases';
/** A runner dead (or stopped) for this long is deleted from the runners table. */
const PURGE_AFTER_MS = 24 * 3_600_000;

/** The LeaseStore of the real service, for the runner `identity`. */
export function sqlLeaseStore(sql: Sql, identity: RunnerIdentity, ttlMs: number): LeaseStore {
  return {
    heartbeat: () => heartbeat(sql, identity, ttlMs),
    claim: (want) => claimHosts(sql, identity.id, want),
    release: (hostIds) => releaseHosts(sql, identity.id, hostIds),
    retire: () => retireRunner(sql, identity.id),
    async sweep() {
      await abandonRunningProbes(sql);
      await purgeRunners(sql, PURGE_AFTER_MS);
    },
    async announce() {
      await sql.notify(LEASES_CHANNEL, identity.id);
    },
  };
}

export interface LeaseStats {
  state: string;
  held: number;
  share: number;
  liveRunners: number;
  failures: number;
  lastError: string | null;
  claimed: number;
  released: number;
  lost: number;
  fenced: number;
}

export interface LeaseLoop {
  /** The hosts this runner holds (what its supervisor runs actors for). */
  held(): ReadonlySet<string>;
  /** Settles after the first heartbeat, whether it succeeded or not. */
  ready: Promise<void>;
  /** Claim soon (a host was added, or another runner released hosts). */
  wake(): void;
  /** Keep renewing, stop claiming and releasing: the runner is finishing its probes. */
  drain(): void;
  /** Releases every lease and marks the runner stopped (bounded by the TTL). */
  stop(): Promise<void>;
  stats(): LeaseStats;
}

export function startLeaseLoop(
  input: Omit<LeaseInput, 'now'> & { now?: () => number },
  options: { clock?: ActorOptions<typeof leaseMachine>['clock'] } = {},
): LeaseLoop {
  const actor: Actor<typeof leaseMachine> = createActor(leaseMachine, {
    input: { ...input, now: input.now ?? Date.now },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  actor.start();
  const ready = waitFor(actor, (s) => s.context.ticks > 0 || s.status === 'done', {
    timeout: Number.POSITIVE_INFINITY,
  }).then(() => {});
  return {
    held: () => actor.getSnapshot().context.held,
    ready,
    wake: () => actor.send({ type: 'WAKE' }),
    drain: () => actor.send({ type: 'DRAIN' }),
    async stop() {
      if (actor.getSnapshot().status !== 'active') return;
      actor.send({ type: 'STOP' });
      await waitFor(actor, (s) => s.status === 'done', { timeout: Number.POSITIVE_INFINITY });
      actor.stop();
    },
    stats() {
      const { value, context: c } = actor.getSnapshot();
      return {
        state: String(value),
        held: c.held.size,
        share: c.share,
        liveRunners: c.liveRunners,
        failures: c.failures,
        lastError: c.lastError,
        claimed: c.claimed,
        released: c.released,
        lost: c.lost,
        fenced: c.fenced,
      };
    },
  };
}
