import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type {
  HostEmitted,
  HostSettings,
  ProbeInput,
  ProbeOutcome,
  ProbeOutput,
  ProbeType,
} from '../../../actors/host-machine.ts';
import { DEFAULT_HOST_SETTINGS, hostMachine, hostSettings } from '../../../actors/host-machine.ts';
import { hostStateName, toHostView } from '../../../actors/host-view.ts';
import { checkRefresh } from '../../../actors/refresh-policy.ts';
import { backoffCeiling } from '../../../actors/schedule.ts';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const policy = {
  baseMs: DEFAULT_HOST_SETTINGS.backoffBaseMs,
  capMs: DEFAULT_HOST_SETTINGS.backoffCapMs,
  floorMs: DEFAULT_HOST_SETTINGS.backoffFloorMs,
};

/** mulberry32: a small seeded PRNG, so every run replays the same draws. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** SimulatedClock that also knows its next deadline, so a test can jump timer to timer. */
class SteppingClock extends SimulatedClock {
  private readonly deadlines = new Map<number, number>();

  override setTimeout(fn: () => void, timeout: number): number {
    const id = super.setTimeout(() => {
      this.deadlines.delete(id);
      fn();
    }, timeout);
    // Whole milliseconds: with a fractional timeout, start + timeout − start can come out
    // below timeout in floating point and the timer would never be due.
    this.deadlines.set(id, this.now() + Math.ceil(timeout));
    return id;
  }

  override clearTimeout(id: number): void {
    this.deadlines.delete(id);
    super.clearTimeout(id);
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const at of this.deadlines.values()) if (next === undefined || at < next) next = at;
    return next;
  }
}

/** What the fake probe does with a call: an outcome now, later, a rejection, or nothing. */
type Plan = ProbeOutcome | 'reject' | 'hang' | { outcome: ProbeOutcome; afterMs: number };

interface Call {
  input: ProbeInput;
  signal: AbortSignal;
  startedAt: number;
  endedAt: number | null;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function harness(
  options: {
    seed?: number;
    settings?: Partial<HostSettings>;
    plan?: (input: ProbeInput, n: number) => Plan;
  } = {},
) {
  const clock = new SteppingClock();
  clock.set(T0);
  const calls: Call[] = [];
  const emitted: HostEmitted[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const plan = options.plan ?? (() => 'ok');
  const probe = fromPromise<ProbeOutput, ProbeInput>(({ input, signal }) => {
    const call: Call = { input, signal, startedAt: clock.now(), endedAt: null };
    const n = calls.push(call);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const end = () => {
      if (call.endedAt === null) {
        call.endedAt = clock.now();
        inFlight--;
      }
    };
    signal.addEventListener('abort', end);
    const output = (outcome: ProbeOutcome): ProbeOutput => ({
      probeId: `probe-${n}`,
      outcome,
      durationMs: clock.now() - call.startedAt,
      ...(outcome === 'failed' ? { error: `connect ECONNREFUSED (${n})` } : {}),
      ...(outcome === 'ok' || outcome === 'partial' ? { metricsSample: { n } } : {}),
    });
    const step = plan(input, n);
    return new Promise<ProbeOutput>((resolve, reject) => {
      if (step === 'hang') return;
      if (step === 'reject') {
        end();
        reject(new Error(`ssh handshake failed (${n})`));
      } else if (typeof step === 'string') {
        end();
        resolve(output(step));
      } else {
        clock.setTimeout(() => {
          end();
          resolve(output(step.outcome));
        }, step.afterMs);
      }
    });
  });
  const settings = hostSettings(options.settings);
  const actor = createActor(hostMachine.provide({ actors: { probe } }), {
    clock,
    input: { hostId: 'web-1', now: () => clock.now(), random: seeded(options.seed ?? 1), settings },
  });
  actor.on('*', (event) => emitted.push(event));
  actor.start();

  /** Fires every timer up to `at` in order, letting promises settle between them. */
  async function advanceTo(at: number): Promise<void> {
    for (;;) {
      await settle();
      const next = clock.nextDeadline();
      if (next === undefined || next > at) break;
      clock.set(Math.max(next, clock.now()));
    }
    clock.set(at);
    await settle();
  }

  return {
    clock,
    actor,
    calls,
    emitted,
    get maxInFlight() {
      return maxInFlight;
    },
    advanceTo,
    advance: (ms: number) => advanceTo(clock.now() + ms),
    context: () => actor.getSnapshot().context,
    state: () => hostStateName(actor.getSnapshot()),
    refresh: (probeType?: ProbeType) => {
      const decision = checkRefresh(actor.getSnapshot(), clock.now());
      actor.send({ type: 'REFRESH', ...(probeType ? { probeType } : {}) });
      return decision;
    },
  };
}

const completed = (emitted: HostEmitted[]) =>
  emitted.filter((event) => event.type === 'probe.completed');

describe('host machine: cadence', () => {
  it('takes the facts probe when both are due, even as the clock moves between reads', async () => {
    // Each reading of the clock is a millisecond later than the one before (a busy process):
    // the facts guard can read just before the due time and the metrics guard just after.
    const types: ProbeType[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const clock = new SteppingClock();
      clock.set(T0);
      let reads = 0;
      const now = () => clock.now() + (reads++ % 2);
      const probe = fromPromise<ProbeOutput, ProbeInput>(async ({ input }) => {
        types.push(input.type);
        return { probeId: 'p', outcome: 'ok', durationMs: 1 };
      });
      const actor = createActor(hostMachine.provide({ actors: { probe } }), {
        clock,
        input: { hostId: 'web-1', now, random: seeded(seed), settings: hostSettings({}) },
      });
      actor.start();
      const due = actor.getSnapshot().context.dueAt;
      expect(due.metrics).toBe(due.facts);
      for (let step = 0; step < 10 && types.length < seed; step++) {
        clock.set(Math.max(clock.nextDeadline() ?? clock.now(), clock.now()));
        await settle();
      }
      actor.stop();
    }
    expect(types).toHaveLength(50);
    expect(new Set(types)).toEqual(new Set(['facts']));
  });

  it("spreads a fresh fleet's first probes over [0, 5 min), each a facts probe", async () => {
    const firstAt: number[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const host = harness({ seed });
      expect(host.state()).toBe('idle');
      await host.advanceTo(host.context().dueAt.facts);
      expect(host.calls.length).toBe(1);
      const [first] = host.calls;
      expect(first?.input).toEqual({
        hostId: 'web-1',
        type: 'facts',
        reason: 'scheduled',
        previousMetrics: undefined,
      });
      firstAt.push((first?.startedAt ?? Number.NaN) - T0);
      host.actor.stop();
    }
    expect(Math.min(...firstAt)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...firstAt)).toBeLessThan(5 * MINUTE);
    // Not in lockstep: the fleet's first probes are spread over the whole window.
    expect(Math.max(...firstAt) - Math.min(...firstAt)).toBeGreaterThan(4 * MINUTE);
  });

  it('keeps every interval within ±10 % over many seeds, and varies it', {
    timeout: 60_000,
  }, async () => {
    const metricsGaps: number[] = [];
    const factsGaps: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const host = harness({ seed });
      await host.advance(5 * HOUR);
      let lastSample: number | undefined;
      let lastFacts: number | undefined;
      for (const call of host.calls) {
        // A metrics probe comes one metrics interval after the previous sample of either
        // kind; a facts probe one facts interval after the previous facts probe.
        if (call.input.type === 'metrics' && lastSample !== undefined) {
          metricsGaps.push(call.startedAt - lastSample);
        }
        if (call.input.type === 'facts' && lastFacts !== undefined) {
          factsGaps.push(call.startedAt - lastFacts);
        }
        if (call.input.type === 'facts') lastFacts = call.startedAt;
        lastSample = call.startedAt;
      }
      expect(host.maxInFlight).toBe(1);
      host.actor.stop();
    }
    expect(metricsGaps.length).toBeGreaterThan(12 * 250);
    expect(factsGaps.length).toBeGreaterThanOrEqual(12 * 4);
    for (const gap of metricsGaps) {
      expect(gap).toBeGreaterThanOrEqual(54 * SECOND);
      expect(gap).toBeLessThanOrEqual(66 * SECOND);
    }
    for (const gap of factsGaps) {
      expect(gap).toBeGreaterThanOrEqual(54 * MINUTE);
      expect(gap).toBeLessThanOrEqual(66 * MINUTE);
    }
    expect(Math.min(...metricsGaps)).toBeLessThan(55 * SECOND);
    expect(Math.max(...metricsGaps)).toBeGreaterThan(65 * SECOND);
  });

  it('lets a facts probe stand in for metrics and hands on the previous sample', async () => {
    const host = harness({ seed: 3 });
    await host.advanceTo(host.context().dueAt.facts);
    const [facts] = host.calls;
    expect(facts?.input.type).toBe('facts');
    const { dueAt, previousMetrics } = host.context();
    expect(previousMetrics).toEqual({ n: 1 });
    // The metrics sample was taken by the facts probe: the next one is a cadence away.
    const factsEnd = facts?.endedAt ?? Number.NaN;
    expect(dueAt.metrics - factsEnd).toBeGreaterThanOrEqual(54 * SECOND);
    expect(dueAt.metrics - factsEnd).toBeLessThan(66 * SECOND);
    await host.advanceTo(dueAt.metrics);
    expect(host.calls.length).toBe(2);
    expect(host.calls[1]?.input).toEqual({
      hostId: 'web-1',
      type: 'metrics',
      reason: 'scheduled',
      previousMetrics: { n: 1 },
    });
  });

  it('changes the cadence on CONFIGURE and keeps it within ±10 % of the new value', async () => {
    const host = harness({ seed: 5 });
    await host.advance(5 * MINUTE);
    host.actor.send({ type: 'CONFIGURE', settings: { metricsIntervalMs: 10 * SECOND } });
    expect(host.context().settings.metricsIntervalMs).toBe(10 * SECOND);
    const before = host.calls.length;
    await host.advance(10 * MINUTE);
    const metrics = host.calls.slice(before).map((call) => call.startedAt);
    expect(metrics.length).toBeGreaterThanOrEqual(50);
    for (let i = 1; i < metrics.length; i++) {
      const gap = (metrics[i] ?? 0) - (metrics[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(9 * SECOND);
      expect(gap).toBeLessThanOrEqual(11 * SECOND);
    }
    // The facts cadence was not touched by a metrics-only change.
    expect(host.context().dueAt.facts - (host.calls[0]?.startedAt ?? 0)).toBeGreaterThan(
      54 * MINUTE,
    );
  });

  it('ignores a CONFIGURE with invalid settings', async () => {
    const host = harness();
    const before = host.context().settings;
    host.actor.send({ type: 'CONFIGURE', settings: { metricsIntervalMs: 0 } });
    host.actor.send({ type: 'CONFIGURE', settings: { jitterRatio: 1.5 } });
    expect(host.context().settings).toBe(before);
    expect(() => hostSettings({ backoffCapMs: 10 })).toThrow(/backoffCapMs must be >= backoff/);
  });
});

describe('host machine: failures and backoff', () => {
  it('backs off with full jitter, doubling from 30 s to the 1 h cap', async () => {
    const seenByAttempt = new Map<number, number[]>();
    for (let seed = 1; seed <= 6; seed++) {
      const host = harness({ seed, plan: () => 'failed' });
      await host.advanceTo(host.context().dueAt.facts);
      // Each failure of a type schedules its retry: check every one against its ceiling.
      let previous = { facts: 0, metrics: 0 };
      for (let step = 0; step < 40; step++) {
        const { failures, dueAt, lastProbe } = host.context();
        for (const type of ['facts', 'metrics'] as const) {
          if (failures[type] > previous[type]) {
            const delay = dueAt[type] - (lastProbe?.finishedAt ?? 0);
            expect(delay).toBeGreaterThanOrEqual(DEFAULT_HOST_SETTINGS.backoffFloorMs);
            expect(delay).toBeLessThanOrEqual(backoffCeiling(failures[type], policy));
            const list = seenByAttempt.get(failures[type]) ?? [];
            list.push(delay);
            seenByAttempt.set(failures[type], list);
          }
        }
        previous = failures;
        expect(host.state()).toBe('backoff');
        await host.advanceTo(Math.min(dueAt.facts, dueAt.metrics));
      }
      expect(host.maxInFlight).toBe(1);
      host.actor.stop();
    }
    // Attempts 1..10 were all exercised, and the late ones reach beyond the uncapped
    // attempt-7 ceiling (32 min) but never the 1 h cap.
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect(seenByAttempt.get(attempt)?.length ?? 0).toBeGreaterThan(0);
    }
    const late = [...seenByAttempt.entries()].filter(([n]) => n >= 8).flatMap(([, d]) => d);
    expect(Math.max(...late)).toBeGreaterThan(32 * MINUTE);
    expect(Math.max(...late)).toBeLessThanOrEqual(HOUR);
  });

  it('keeps facts and metrics backoff independent', async () => {
    // Metrics probes fail, facts probes succeed.
    const host = harness({ seed: 9, plan: (input) => (input.type === 'facts' ? 'ok' : 'failed') });
    await host.advance(5 * MINUTE);
    const firstFacts = host.calls[0]?.startedAt ?? 0;
    await host.advanceTo(firstFacts + 30 * MINUTE);
    const mid = host.context();
    expect(mid.failures.metrics).toBeGreaterThanOrEqual(3);
    expect(mid.failures.facts).toBe(0);
    expect(mid.consecutiveFailures).toBe(mid.failures.metrics);
    // Facts keeps its hourly cadence regardless of the failing metrics.
    expect(mid.dueAt.facts - firstFacts).toBeGreaterThanOrEqual(54 * MINUTE);
    expect(mid.dueAt.facts - firstFacts).toBeLessThanOrEqual(66 * MINUTE);
    expect(host.state()).toBe('backoff');
    const view = toHostView(host.actor.getSnapshot());
    expect(view.backoffUntil.facts).toBeNull();
    expect(view.backoffUntil.metrics).toBe(new Date(mid.dueAt.metrics).toISOString());

    // Facts fail, metrics succeed: the reverse.
    const other = harness({
      seed: 10,
      plan: (input) => (input.type === 'facts' ? 'failed' : 'ok'),
    });
    await other.advance(3 * HOUR);
    const end = other.context();
    expect(end.failures.facts).toBeGreaterThanOrEqual(4);
    expect(end.failures.metrics).toBe(0);
    // Metrics successes in between: never "unreachable".
    expect(end.unreachable).toBe(false);
    const metricsCalls = other.calls.filter((call) => call.input.type === 'metrics');
    expect(metricsCalls.length).toBeGreaterThan(150);
  });

  it('marks the host unreachable after exactly 5 failures and recovers on success', async () => {
    let healthy = false;
    const host = harness({ seed: 2, plan: () => (healthy ? 'ok' : 'failed') });
    const unreachableEvents = () => host.emitted.filter((e) => e.type === 'unreachable');
    for (let failure = 1; failure <= 4; failure++) {
      await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
      expect(host.context().consecutiveFailures).toBe(failure);
      expect(host.context().unreachable).toBe(false);
    }
    expect(unreachableEvents()).toEqual([]);
    await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
    expect(host.context().consecutiveFailures).toBe(5);
    expect(host.context().unreachable).toBe(true);
    expect(toHostView(host.actor.getSnapshot()).unreachable).toBe(true);
    const finishedAt = host.context().lastProbe?.finishedAt;
    expect(unreachableEvents()).toEqual([
      {
        type: 'unreachable',
        hostId: 'web-1',
        at: finishedAt,
        consecutiveFailures: 5,
        lastError: 'connect ECONNREFUSED (5)',
      },
    ]);
    // Still retried, and no second "unreachable" for further failures.
    await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
    await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
    expect(host.calls.length).toBe(7);
    expect(unreachableEvents().length).toBe(1);

    healthy = true;
    await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
    const recovered = host.emitted.filter((e) => e.type === 'recovered');
    expect(recovered).toEqual([
      {
        type: 'recovered',
        hostId: 'web-1',
        at: host.context().lastProbe?.finishedAt,
        failedProbesBefore: 7,
      },
    ]);
    expect(host.context().unreachable).toBe(false);
    expect(host.context().consecutiveFailures).toBe(0);
    expect(host.context().lastError).toBeNull();
    // One probe.completed per probe, in order, with the outcome.
    expect(completed(host.emitted).map((e) => e.outcome)).toEqual([
      ...Array(7).fill('failed'),
      'ok',
    ]);
  });

  it('counts failed, timeout and rejected as failures and partial as success', async () => {
    const plans: Plan[] = ['failed', 'timeout', 'reject', 'partial'];
    const host = harness({ plan: (_input, n) => plans[n - 1] ?? 'ok' });
    const outcomes: [string, number, string | null][] = [];
    for (let i = 0; i < plans.length; i++) {
      await host.advanceTo(Math.min(host.context().dueAt.facts, host.context().dueAt.metrics));
      const { lastProbe, consecutiveFailures, lastError } = host.context();
      outcomes.push([lastProbe?.outcome ?? '', consecutiveFailures, lastError]);
    }
    expect(outcomes).toEqual([
      ['failed', 1, 'connect ECONNREFUSED (1)'],
      ['timeout', 2, 'probe timeout'],
      ['failed', 3, 'ssh handshake failed (3)'],
      ['partial', 0, null],
    ]);
    const rejected = completed(host.emitted)[2];
    expect(rejected?.probeId).toBeNull();
  });

  it('fails every probe visibly when no probe actor was provided', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const actor = createActor(hostMachine, {
      clock,
      input: { hostId: 'web-2', now: () => clock.now(), random: () => 0 },
    });
    actor.start();
    await settle();
    expect(actor.getSnapshot().context.lastError).toMatch(/probe actor not provided/);
    expect(actor.getSnapshot().value).toBe('backoff');
    actor.stop();
  });
});

describe('host machine: timeout', () => {
  it('aborts a probe that exceeds probeTimeoutMs and counts a timeout failure', async () => {
    const host = harness({ plan: (_input, n) => (n === 1 ? 'hang' : 'ok') });
    await host.advance(5 * MINUTE);
    const [first] = host.calls;
    expect(host.state()).toBe('probing');
    expect(first?.signal.aborted).toBe(false);
    const startedAt = first?.startedAt ?? 0;
    await host.advanceTo(startedAt + 120 * SECOND - 1);
    expect(first?.signal.aborted).toBe(false);
    await host.advanceTo(startedAt + 120 * SECOND);
    expect(first?.signal.aborted).toBe(true);
    expect(host.context().lastProbe).toEqual({
      probeId: null,
      type: 'facts',
      outcome: 'timeout',
      durationMs: 120_000,
      finishedAt: startedAt + 120 * SECOND,
    });
    expect(host.context().failures).toEqual({ facts: 1, metrics: 1 });
    expect(host.context().lastError).toBe('probe timed out after 120000 ms');
    expect(host.state()).toBe('backoff');
    expect(completed(host.emitted).map((e) => [e.outcome, e.durationMs])).toEqual([
      ['timeout', 120_000],
    ]);
  });

  it('uses a configured timeout from the next probe on', async () => {
    const host = harness({ plan: () => 'hang', settings: { probeTimeoutMs: 10 * SECOND } });
    await host.advance(6 * MINUTE);
    expect(host.context().lastProbe?.durationMs).toBe(10 * SECOND);
    host.actor.send({ type: 'CONFIGURE', settings: { probeTimeoutMs: 30 * SECOND } });
    await host.advance(HOUR);
    expect(host.context().lastProbe?.durationMs).toBe(30 * SECOND);
  });
});

describe('host machine: manual refresh', () => {
  it('refuses while probing, accepts when idle, debounces for 30 s', async () => {
    const host = harness({ plan: () => ({ outcome: 'ok', afterMs: 5 * SECOND }) });
    await host.advanceTo(host.context().dueAt.facts);
    expect(host.state()).toBe('probing');
    const started = host.calls[0]?.startedAt ?? 0;
    await host.advance(2 * SECOND);
    expect(host.refresh()).toEqual({
      accepted: false,
      reason: 'in-flight',
      retryAfterMs: 118 * SECOND,
    });
    expect(host.calls.length).toBe(1);
    await host.advanceTo(started + 5 * SECOND);
    expect(host.state()).toBe('idle');
    expect(host.calls.length).toBe(1);

    const acceptedAt = host.clock.now();
    expect(host.refresh()).toEqual({ accepted: true });
    expect(host.calls.length).toBe(2);
    expect(host.calls[1]?.input).toMatchObject({ type: 'facts', reason: 'manual' });
    await host.advance(5 * SECOND);
    expect(host.state()).toBe('idle');
    // 10 s after the accepted refresh: 20 s of debounce left, and a REFRESH sent anyway
    // is ignored.
    await host.advance(5 * SECOND);
    expect(host.refresh('metrics')).toEqual({
      accepted: false,
      reason: 'debounce',
      retryAfterMs: 20 * SECOND,
    });
    await settle();
    expect(host.calls.length).toBe(2);
    await host.advanceTo(acceptedAt + 30 * SECOND);
    expect(host.refresh('metrics')).toEqual({ accepted: true });
    expect(host.calls[2]?.input).toMatchObject({ type: 'metrics', reason: 'manual' });
    expect(toHostView(host.actor.getSnapshot()).lastRefreshAt).toBe(
      new Date(acceptedAt + 30 * SECOND).toISOString(),
    );
  });

  it('is accepted in backoff and refused while paused', async () => {
    const host = harness({ plan: () => 'failed' });
    await host.advanceTo(host.context().dueAt.facts);
    expect(host.state()).toBe('backoff');
    expect(host.refresh()).toEqual({ accepted: true });
    await settle();
    expect(host.calls.length).toBe(2);
    expect(host.context().failures.facts).toBe(2);
    await host.advance(30 * SECOND);
    host.actor.send({ type: 'PAUSE' });
    const before = host.calls.length;
    expect(host.refresh()).toEqual({ accepted: false, reason: 'paused', retryAfterMs: 0 });
    await settle();
    expect(host.calls.length).toBe(before);
  });

  it('agrees with the guard: accepted exactly when a REFRESH starts a probe', async () => {
    const random = seeded(42);
    const host = harness({
      seed: 4,
      plan: () => ({ outcome: random() < 0.3 ? 'failed' : 'ok', afterMs: random() * 40_000 }),
    });
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      await host.advance(random() * 20 * SECOND);
      if (random() < 0.05) host.actor.send({ type: random() < 0.5 ? 'PAUSE' : 'RESUME' });
      const before = host.calls.length;
      const decision = host.refresh();
      await settle();
      expect(host.calls.length - before).toBe(decision.accepted ? 1 : 0);
      if (decision.accepted) accepted++;
      else refused++;
    }
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
    expect(host.maxInFlight).toBe(1);
  });
});

describe('host machine: pause and resume', () => {
  it('stops probing while paused and spreads overdue probes on resume', async () => {
    const host = harness({ seed: 6, plan: () => 'failed' });
    await host.advance(5 * MINUTE);
    const failures = host.context().failures;
    host.actor.send({ type: 'PAUSE' });
    expect(host.state()).toBe('paused');
    const view = toHostView(host.actor.getSnapshot());
    expect(view.nextFactsDueAt).toBeNull();
    expect(view.backoffUntil).toEqual({ facts: null, metrics: null });
    const before = host.calls.length;
    await host.advance(3 * HOUR);
    expect(host.calls.length).toBe(before);

    const resumedAt = host.clock.now();
    host.actor.send({ type: 'RESUME' });
    // Failure counts survive the pause; the overdue retries are spread, not fired at once.
    expect(host.context().failures).toEqual(failures);
    const { dueAt } = host.context();
    // Spread over min(interval, startupSpread): 5 min for facts, 1 min for metrics.
    expect(dueAt.facts).toBeGreaterThanOrEqual(resumedAt);
    expect(dueAt.facts).toBeLessThan(resumedAt + 5 * MINUTE);
    expect(dueAt.metrics).toBeGreaterThanOrEqual(resumedAt);
    expect(dueAt.metrics).toBeLessThan(resumedAt + MINUTE);
    await host.advance(MINUTE);
    expect(host.calls.length).toBeGreaterThan(before);
  });

  it('aborts a running probe on PAUSE without counting it', async () => {
    const host = harness({ plan: () => 'hang' });
    await host.advance(5 * MINUTE);
    expect(host.state()).toBe('probing');
    host.actor.send({ type: 'PAUSE' });
    expect(host.calls[0]?.signal.aborted).toBe(true);
    expect(host.state()).toBe('paused');
    expect(host.context().inFlight).toBeNull();
    expect(host.context().consecutiveFailures).toBe(0);
    expect(completed(host.emitted)).toEqual([]);
    host.actor.send({ type: 'RESUME' });
    await host.advance(MINUTE);
    expect(host.calls.length).toBe(2);
  });

  it('keeps failure counts and backoff times across CONFIGURE', async () => {
    const host = harness({ seed: 8, plan: () => 'failed' });
    await host.advance(5 * MINUTE);
    const before = host.context();
    host.actor.send({
      type: 'CONFIGURE',
      settings: { metricsIntervalMs: 30 * SECOND, factsIntervalMs: 2 * HOUR },
    });
    const after = host.context();
    expect(after.failures).toEqual(before.failures);
    expect(after.dueAt).toEqual(before.dueAt);
    expect(after.settings.factsIntervalMs).toBe(2 * HOUR);
  });
});

describe('host machine: in-flight guard', () => {
  it('never runs two probes, whatever arrives while one is in flight', async () => {
    const random = seeded(1234);
    const host = harness({
      seed: 11,
      settings: { probeTimeoutMs: 60 * SECOND },
      plan: () => {
        const r = random();
        if (r < 0.1) return 'hang';
        if (r < 0.2) return 'reject';
        return { outcome: r < 0.4 ? 'failed' : 'ok', afterMs: random() * 90 * SECOND };
      },
    });
    const events = [
      () => ({ type: 'REFRESH' as const }),
      () => ({ type: 'PAUSE' as const }),
      () => ({ type: 'RESUME' as const }),
      () => ({
        type: 'CONFIGURE' as const,
        settings: { metricsIntervalMs: (20 + random() * 100) * SECOND },
      }),
    ];
    let sentWhileProbing = 0;
    for (let i = 0; i < 1500; i++) {
      await host.advance(random() * 30 * SECOND);
      const make = events[Math.floor(random() * events.length)];
      if (host.state() === 'probing') sentWhileProbing++;
      if (make) host.actor.send(make());
    }
    expect(sentWhileProbing).toBeGreaterThan(300);
    expect(host.calls.length).toBeGreaterThan(200);
    expect(host.maxInFlight).toBe(1);
    const sorted = [...host.calls].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < sorted.length; i++) {
      const previousEnd = sorted[i - 1]?.endedAt ?? Number.POSITIVE_INFINITY;
      expect(sorted[i]?.startedAt ?? 0).toBeGreaterThanOrEqual(previousEnd);
    }
    expect(host.actor.getSnapshot().status).toBe('active');
  });
});

describe('host view', () => {
  it('is plain JSON describing the probe in flight and the last one', async () => {
    const host = harness({ seed: 12, plan: () => ({ outcome: 'ok', afterMs: 4 * SECOND }) });
    const initial = toHostView(host.actor.getSnapshot());
    const firstDue = new Date(host.context().dueAt.facts).toISOString();
    expect(initial).toEqual({
      hostId: 'web-1',
      state: 'idle',
      unreachable: false,
      inFlight: null,
      nextFactsDueAt: firstDue,
      nextMetricsDueAt: firstDue,
      failures: { facts: 0, metrics: 0 },
      backoffUntil: { facts: null, metrics: null },
      lastProbe: null,
      lastError: null,
      lastRefreshAt: null,
    });
    await host.advanceTo(host.context().dueAt.facts);
    const probing = toHostView(host.actor.getSnapshot());
    expect(probing.state).toBe('probing');
    expect(probing.inFlight).toEqual({ type: 'facts', reason: 'scheduled', startedAt: firstDue });
    // Both due times are being served by this probe.
    expect(probing.nextFactsDueAt).toBeNull();
    expect(probing.nextMetricsDueAt).toBeNull();
    await host.advance(4 * SECOND);
    const done = toHostView(host.actor.getSnapshot());
    expect(JSON.parse(JSON.stringify(done))).toEqual(done);
    expect(done.lastProbe).toEqual({
      probeId: 'probe-1',
      type: 'facts',
      outcome: 'ok',
      durationMs: 4_000,
      finishedAt: new Date(Date.parse(firstDue) + 4_000).toISOString(),
    });
    expect(done.nextMetricsDueAt).toBe(new Date(host.context().dueAt.metrics).toISOString());
  });
});
