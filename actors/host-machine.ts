// The host actor: one per host. It decides when this host is probed and is the in-flight
// guard: a probe exists only while the actor is in `probing`, so there is never a second one.
//
//   dispatch  Transient decision point, never observed from outside: start the probe that
//             is due (facts before metrics; a facts probe also samples metrics), otherwise
//             wait in `backoff` if a probe type is failing, else in `idle`.
//   idle      Waiting for the next due time of the regular cadences (facts 1 h, metrics 60 s,
//             each ±10 % jitter). Accepts REFRESH (debounced), PAUSE, CONFIGURE.
//   backoff   The same wait, but facts and/or metrics have consecutive failures, so their due
//             time comes from exponential full-jitter backoff. Same events as `idle`.
//   probing   The invoked `probe` actor runs: the only place with I/O. Left on its output, on
//             its rejection, or after settings.probeTimeoutMs (outcome `timeout`; leaving the
//             state fires the probe's AbortSignal). REFRESH is ignored here. PAUSE aborts the
//             probe and does not count it: a disabled host should not be touched any longer.
//   paused    Host disabled: no timer, no probe. RESUME returns to `dispatch`; due times that
//             passed meanwhile are spread over [0, min(interval, startupSpreadMs)).
//
// Time and randomness come from the input (`now`, `random`) and every wait is an XState
// delay, so tests drive the actor with SimulatedClock and a seeded random.

import type { SnapshotFrom } from 'xstate';
import { enqueueActions, fromPromise, setup } from 'xstate';
import { debounceRemainingMs } from './refresh-policy.ts';
import type { BackoffPolicy } from './schedule.ts';
import { backoffDelay, catchUp, jitteredInterval, spreadDelay, timerDelay } from './schedule.ts';

export type ProbeType = 'facts' | 'metrics';
export type ProbeReason = 'scheduled' | 'manual';
export type ProbeOutcome = 'ok' | 'partial' | 'failed' | 'timeout';
export type HostStateName = 'idle' | 'probing' | 'backoff' | 'paused';

const PROBE_OUTCOMES: readonly string[] = ['ok', 'partial', 'failed', 'timeout'];

/** What the invoked `probe` actor receives. `previousMetrics` is the last metricsSample. */
export interface ProbeInput {
  hostId: string;
  type: ProbeType;
  reason: ProbeReason;
  previousMetrics: unknown;
}

/** What the `probe` actor resolves with. `partial` = connected, some collectors failed. */
export interface ProbeOutput {
  probeId: string;
  outcome: ProbeOutcome;
  durationMs: number;
  error?: string;
  metricsSample?: unknown;
}

export interface HostSettings {
  factsIntervalMs: number;
  metricsIntervalMs: number;
  /** Each cadence interval is drawn uniformly from interval·[1 − ratio, 1 + ratio). */
  jitterRatio: number;
  probeTimeoutMs: number;
  /** A fresh actor's first probe is due within [0, min(factsIntervalMs, this)). */
  startupSpreadMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  backoffFloorMs: number;
  /** Consecutive failed probes (any type) after which the host is marked unreachable. */
  unreachableAfter: number;
  refreshDebounceMs: number;
}

export const DEFAULT_HOST_SETTINGS: Readonly<HostSettings> = Object.freeze({
  factsIntervalMs: 3_600_000,
  metricsIntervalMs: 60_000,
  jitterRatio: 0.1,
  probeTimeoutMs: 120_000,
  // 10,000 first probes over 5 min is ~33 starts/s: about what a 32-slot global limiter
  // drains with ~1 s real-world probes. Shorter, and queued probes eat their own timeout.
  startupSpreadMs: 300_000,
  backoffBaseMs: 30_000,
  backoffCapMs: 3_600_000,
  backoffFloorMs: 1_000,
  unreachableAfter: 5,
  refreshDebounceMs: 30_000,
});

/** Reasons the settings are unusable; empty when they are fine. */
export function settingsProblems(settings: HostSettings): string[] {
  const problems: string[] = [];
  const positive = [
    'factsIntervalMs',
    'metricsIntervalMs',
    'probeTimeoutMs',
    'backoffBaseMs',
    'backoffCapMs',
  ] as const;
  for (const key of positive) {
    if (!(Number.isFinite(settings[key]) && settings[key] > 0)) problems.push(`${key} must be > 0`);
  }
  const nonNegative = ['startupSpreadMs', 'backoffFloorMs', 'refreshDebounceMs'] as const;
  for (const key of nonNegative) {
    if (!(Number.isFinite(settings[key]) && settings[key] >= 0)) {
      problems.push(`${key} must be >= 0`);
    }
  }
  if (!(settings.jitterRatio >= 0 && settings.jitterRatio < 1)) {
    problems.push('jitterRatio must be in [0, 1)');
  }
  if (!(settings.backoffCapMs >= settings.backoffBaseMs)) {
    problems.push('backoffCapMs must be >= backoffBaseMs');
  }
  if (!(Number.isInteger(settings.unreachableAfter) && settings.unreachableAfter >= 1)) {
    problems.push('unreachableAfter must be an integer >= 1');
  }
  return problems;
}

/** Defaults overlaid with `overrides`, validated. Build it once and share it across actors. */
export function hostSettings(overrides: Partial<HostSettings> = {}): HostSettings {
  const settings = { ...DEFAULT_HOST_SETTINGS, ...overrides };
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new RangeError(`invalid host settings: ${problems.join('; ')}`);
  return settings;
}

export interface PerType<T> {
  facts: T;
  metrics: T;
}

export interface InFlight {
  type: ProbeType;
  reason: ProbeReason;
  startedAt: number;
}

export interface LastProbe {
  /** null when the machine ended the probe itself (timeout) or the probe promise rejected. */
  probeId: string | null;
  type: ProbeType;
  outcome: ProbeOutcome;
  durationMs: number;
  finishedAt: number;
}

/** Times are epoch milliseconds from `now()`. Kept small: there are 10,000 of these. */
export interface HostContext {
  hostId: string;
  settings: HostSettings;
  now: () => number;
  random: () => number;
  dueAt: PerType<number>;
  /** Consecutive failures per probe type; > 0 means that type's dueAt is a backoff time. */
  failures: PerType<number>;
  /** Last successful sample per type; CONFIGURE re-derives regular due times from it. */
  lastOkAt: PerType<number | null>;
  /** Consecutive failed probes of any type: drives `unreachable`. */
  consecutiveFailures: number;
  unreachable: boolean;
  inFlight: InFlight | null;
  lastProbe: LastProbe | null;
  /** The error of the last probe (null after a clean one), capped at MAX_ERROR_CHARS. */
  lastError: string | null;
  lastRefreshAt: number | null;
  /** The last metricsSample, opaque here, handed to the next probe to compute rates. */
  previousMetrics: unknown;
}

export interface HostInput {
  hostId: string;
  /** Date.now at the composition root; the SimulatedClock's now() in tests. */
  now: () => number;
  /** Math.random at the composition root; a seeded generator in tests. */
  random: () => number;
  /** Defaults to DEFAULT_HOST_SETTINGS; pass one shared object for the whole fleet. */
  settings?: HostSettings;
}

export type HostEvent =
  | { type: 'REFRESH'; probeType?: ProbeType }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'CONFIGURE'; settings: Partial<HostSettings> };

export type HostEmitted =
  | {
      type: 'probe.completed';
      hostId: string;
      probeId: string | null;
      probeType: ProbeType;
      reason: ProbeReason;
      outcome: ProbeOutcome;
      durationMs: number;
      startedAt: number;
      finishedAt: number;
      error: string | null;
      consecutiveFailures: number;
    }
  | {
      type: 'unreachable';
      hostId: string;
      at: number;
      consecutiveFailures: number;
      lastError: string | null;
    }
  | { type: 'recovered'; hostId: string; at: number; failedProbesBefore: number };

/** Host-provided error text is untrusted and lives in memory ×10,000: keep it short. */
const MAX_ERROR_CHARS = 500;

interface ProbeResult {
  probeId: string | null;
  outcome: ProbeOutcome;
  /** null: measure it as now − startedAt. */
  durationMs: number | null;
  error: string | null;
  metricsSample: unknown;
}

function intervalOf(settings: HostSettings, type: ProbeType): number {
  return type === 'facts' ? settings.factsIntervalMs : settings.metricsIntervalMs;
}

function backoffPolicy(settings: HostSettings): BackoffPolicy {
  return {
    baseMs: settings.backoffBaseMs,
    capMs: settings.backoffCapMs,
    floorMs: settings.backoffFloorMs,
  };
}

/** Due times are whole milliseconds, so timers and ISO strings line up exactly. */
function dueAfter(now: number, delayMs: number): number {
  return Math.round(now + delayMs);
}

function capError(error: string): string {
  return error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error;
}

function resultFromOutput(output: ProbeOutput | undefined): ProbeResult {
  if (!output || !PROBE_OUTCOMES.includes(output.outcome)) {
    return failedResult('probe resolved without a valid outcome');
  }
  const failed = output.outcome === 'failed' || output.outcome === 'timeout';
  return {
    probeId: typeof output.probeId === 'string' ? output.probeId : null,
    outcome: output.outcome,
    durationMs: Number.isFinite(output.durationMs) ? output.durationMs : null,
    error: output.error ?? (failed ? `probe ${output.outcome}` : null),
    metricsSample: output.metricsSample,
  };
}

function failedResult(error: string): ProbeResult {
  return { probeId: null, outcome: 'failed', durationMs: null, error, metricsSample: undefined };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : `probe rejected: ${String(error)}`;
}

/**
 * Applies a finished probe to the schedule. A metrics probe serves metrics only. A facts
 * probe serves facts, and metrics too when it succeeded (it took a sample) or when a
 * metrics sample was already due as it started (that sample was attempted and failed);
 * otherwise a facts failure leaves the metrics schedule alone.
 */
function conclude(
  context: HostContext,
  result: ProbeResult,
): { patch: Partial<HostContext>; emitted: HostEmitted[] } {
  const { inFlight, settings, random } = context;
  if (!inFlight) return { patch: {}, emitted: [] };
  const now = context.now();
  const ok = result.outcome === 'ok' || result.outcome === 'partial';
  const served: ProbeType[] =
    inFlight.type === 'metrics'
      ? ['metrics']
      : ok || context.dueAt.metrics <= inFlight.startedAt
        ? ['facts', 'metrics']
        : ['facts'];
  const dueAt = { ...context.dueAt };
  const failures = { ...context.failures };
  const lastOkAt = { ...context.lastOkAt };
  for (const type of served) {
    if (ok) {
      failures[type] = 0;
      lastOkAt[type] = now;
      const interval = jitteredInterval(intervalOf(settings, type), settings.jitterRatio, random);
      dueAt[type] = dueAfter(now, interval);
    } else {
      failures[type] += 1;
      dueAt[type] = dueAfter(now, backoffDelay(failures[type], backoffPolicy(settings), random));
    }
  }
  const consecutiveFailures = ok ? 0 : context.consecutiveFailures + 1;
  const durationMs = result.durationMs ?? now - inFlight.startedAt;
  const lastError = result.error === null ? null : capError(result.error);
  const emitted: HostEmitted[] = [
    {
      type: 'probe.completed',
      hostId: context.hostId,
      probeId: result.probeId,
      probeType: inFlight.type,
      reason: inFlight.reason,
      outcome: result.outcome,
      durationMs,
      startedAt: inFlight.startedAt,
      finishedAt: now,
      error: lastError,
      consecutiveFailures,
    },
  ];
  let unreachable = context.unreachable;
  if (!ok && !unreachable && consecutiveFailures >= settings.unreachableAfter) {
    unreachable = true;
    emitted.push({
      type: 'unreachable',
      hostId: context.hostId,
      at: now,
      consecutiveFailures,
      lastError,
    });
  } else if (ok && unreachable) {
    unreachable = false;
    emitted.push({
      type: 'recovered',
      hostId: context.hostId,
      at: now,
      failedProbesBefore: context.consecutiveFailures,
    });
  }
  return {
    patch: {
      dueAt,
      failures,
      lastOkAt,
      consecutiveFailures,
      unreachable,
      inFlight: null,
      lastProbe: {
        probeId: result.probeId,
        type: inFlight.type,
        outcome: result.outcome,
        durationMs,
        finishedAt: now,
      },
      lastError,
      previousMetrics:
        result.metricsSample === undefined ? context.previousMetrics : result.metricsSample,
    },
    emitted,
  };
}

/** A due time that already passed is spread over the next min(interval, startupSpreadMs). */
function caughtUp(
  context: HostContext,
  settings: HostSettings,
  type: ProbeType,
  dueAt: number,
  now: number,
): number {
  const interval = intervalOf(settings, type);
  return Math.round(catchUp(dueAt, now, interval, settings.startupSpreadMs, context.random));
}

/**
 * Due times under new settings, keeping failure counts: a failing type keeps its backoff
 * time; a type whose interval changed is re-derived from its last success (or, before the
 * first probe, pulled in to at most one new interval); a due time that is thereby already
 * past is spread out rather than fired fleet-wide in the same tick.
 */
function reschedule(context: HostContext, next: HostSettings): PerType<number> {
  const now = context.now();
  const dueAt = { ...context.dueAt };
  for (const type of ['facts', 'metrics'] as const) {
    const interval = intervalOf(next, type);
    if (context.failures[type] > 0 || interval === intervalOf(context.settings, type)) continue;
    const lastOk = context.lastOkAt[type];
    const planned =
      lastOk === null
        ? Math.min(dueAt[type], now + interval)
        : dueAfter(lastOk, jitteredInterval(interval, next.jitterRatio, context.random));
    dueAt[type] = caughtUp(context, next, type, planned, now);
  }
  return dueAt;
}

export const hostMachine = setup({
  types: {
    context: {} as HostContext,
    events: {} as HostEvent,
    input: {} as HostInput,
    emitted: {} as HostEmitted,
  },
  actors: {
    // Bound for real at the composition root with hostMachine.provide({ actors: { probe } }).
    // Left unbound, every probe fails visibly with this message instead of silently idling.
    probe: fromPromise<ProbeOutput, ProbeInput>(async () => {
      throw new Error('probe actor not provided: bind it with hostMachine.provide()');
    }),
  },
  delays: {
    untilDue: ({ context }) =>
      timerDelay(Math.min(context.dueAt.facts, context.dueAt.metrics), context.now()),
    probeTimeout: ({ context }) => context.settings.probeTimeoutMs,
  },
  guards: {
    factsDue: ({ context }) => context.dueAt.facts <= context.now(),
    // Facts first when both are due. The guards read the clock one after the other, so a facts
    // probe falling due between the two readings would lose its turn: metrics only while facts
    // is not due at this same reading (else dispatch comes round again at once, for facts).
    metricsDue: ({ context }) => {
      const now = context.now();
      return context.dueAt.metrics <= now && context.dueAt.facts > now;
    },
    failing: ({ context }) => context.failures.facts > 0 || context.failures.metrics > 0,
    refreshAllowed: ({ context }) => debounceRemainingMs(context, context.now()) === 0,
    settingsValid: ({ context, event }) =>
      event.type === 'CONFIGURE' &&
      settingsProblems({ ...context.settings, ...event.settings }).length === 0,
  },
  actions: {
    beginProbe: enqueueActions(
      ({ context, enqueue }, params: { type: ProbeType; reason: ProbeReason }) => {
        const startedAt = context.now();
        enqueue.assign({
          inFlight: { type: params.type, reason: params.reason, startedAt },
          ...(params.reason === 'manual' ? { lastRefreshAt: startedAt } : {}),
        });
      },
    ),
    conclude: enqueueActions(({ context, enqueue }, params: { result: ProbeResult }) => {
      const { patch, emitted } = conclude(context, params.result);
      enqueue.assign(patch);
      for (const event of emitted) enqueue.emit(event);
    }),
    abandonProbe: enqueueActions(({ enqueue }) => enqueue.assign({ inFlight: null })),
    configure: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CONFIGURE') return;
      const settings = { ...context.settings, ...event.settings };
      enqueue.assign({ settings, dueAt: reschedule(context, settings) });
    }),
    catchUp: enqueueActions(({ context, enqueue }) => {
      const now = context.now();
      const { dueAt, settings } = context;
      enqueue.assign({
        dueAt: {
          facts: caughtUp(context, settings, 'facts', dueAt.facts, now),
          metrics: caughtUp(context, settings, 'metrics', dueAt.metrics, now),
        },
      });
    }),
  },
}).createMachine({
  id: 'host',
  context: ({ input }) => {
    const settings = input.settings ?? DEFAULT_HOST_SETTINGS;
    // The first facts probe (which also samples metrics) is spread so a fleet started in
    // one tick does not probe at t=0 all at once.
    const firstDue = dueAfter(
      input.now(),
      spreadDelay(settings.factsIntervalMs, settings.startupSpreadMs, input.random),
    );
    return {
      hostId: input.hostId,
      settings,
      now: input.now,
      random: input.random,
      dueAt: { facts: firstDue, metrics: firstDue },
      failures: { facts: 0, metrics: 0 },
      lastOkAt: { facts: null, metrics: null },
      consecutiveFailures: 0,
      unreachable: false,
      inFlight: null,
      lastProbe: null,
      lastError: null,
      lastRefreshAt: null,
      previousMetrics: undefined,
    };
  },
  initial: 'dispatch',
  states: {
    dispatch: {
      always: [
        {
          guard: 'factsDue',
          target: 'probing',
          actions: { type: 'beginProbe', params: { type: 'facts', reason: 'scheduled' } },
        },
        {
          guard: 'metricsDue',
          target: 'probing',
          actions: { type: 'beginProbe', params: { type: 'metrics', reason: 'scheduled' } },
        },
        { guard: 'failing', target: 'backoff' },
        { target: 'idle' },
      ],
    },
    idle: {
      // Re-entering dispatch re-arms the timer; it also absorbs a timer that fired early
      // (clock adjustments, or a due time beyond MAX_TIMER_MS).
      after: { untilDue: 'dispatch' },
      on: {
        REFRESH: {
          guard: 'refreshAllowed',
          target: 'probing',
          actions: {
            type: 'beginProbe',
            params: ({ event }) => ({ type: event.probeType ?? 'facts', reason: 'manual' }),
          },
        },
        PAUSE: 'paused',
        CONFIGURE: { guard: 'settingsValid', target: 'dispatch', actions: 'configure' },
      },
    },
    backoff: {
      after: { untilDue: 'dispatch' },
      on: {
        REFRESH: {
          guard: 'refreshAllowed',
          target: 'probing',
          actions: {
            type: 'beginProbe',
            params: ({ event }) => ({ type: event.probeType ?? 'facts', reason: 'manual' }),
          },
        },
        PAUSE: 'paused',
        CONFIGURE: { guard: 'settingsValid', target: 'dispatch', actions: 'configure' },
      },
    },
    probing: {
      invoke: {
        src: 'probe',
        input: ({ context }) => ({
          hostId: context.hostId,
          type: context.inFlight?.type ?? 'facts',
          reason: context.inFlight?.reason ?? 'scheduled',
          previousMetrics: context.previousMetrics,
        }),
        onDone: {
          target: 'dispatch',
          actions: {
            type: 'conclude',
            params: ({ event }) => ({ result: resultFromOutput(event.output) }),
          },
        },
        onError: {
          target: 'dispatch',
          actions: {
            type: 'conclude',
            params: ({ event }) => ({ result: failedResult(errorMessage(event.error)) }),
          },
        },
      },
      after: {
        probeTimeout: {
          target: 'dispatch',
          actions: {
            type: 'conclude',
            params: ({ context }) => ({
              result: {
                probeId: null,
                outcome: 'timeout',
                durationMs: null,
                error: `probe timed out after ${context.settings.probeTimeoutMs} ms`,
                metricsSample: undefined,
              },
            }),
          },
        },
      },
      on: {
        // The new probeTimeoutMs applies from the next probe; this one keeps its timer.
        CONFIGURE: { guard: 'settingsValid', actions: 'configure' },
        PAUSE: { target: 'paused', actions: 'abandonProbe' },
      },
    },
    paused: {
      on: {
        RESUME: { target: 'dispatch', actions: 'catchUp' },
        CONFIGURE: { guard: 'settingsValid', actions: 'configure' },
      },
    },
  },
});

export type HostMachine = typeof hostMachine;
export type HostSnapshot = SnapshotFrom<typeof hostMachine>;
