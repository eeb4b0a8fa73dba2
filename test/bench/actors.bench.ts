// Holds a fleet of host actors with fake probes on real timers and reports what it costs:
// RSS, heap per actor, CPU, probe cycles/s and event-loop delay. The fleet runs as N
// independent root actors (the design); a shorter baseline runs the same N as children of
// one parent machine, where every finished probe makes XState scan the whole system's
// timers (DESIGN §8). Cadences are compressed by --speed; probes take 1–50 ms behind a
// global limiter of --concurrency slots, like the real supervisor's.
//
//   node --expose-gc --import tsx test/bench/actors.bench.ts [--hosts 10000] [--seconds 60]
//     [--speed 100] [--concurrency 32] [--baseline-seconds 20]
//   (npx tsx test/bench/actors.bench.ts works too: gc is then exposed at run time.)

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Actor, AnyActorRef } from 'xstate';
import { createActor, enqueueActions, fromPromise, setup } from 'xstate';
import type {
  HostEmitted,
  HostSettings,
  ProbeInput,
  ProbeOutcome,
  ProbeOutput,
} from '../../actors/host-machine.ts';
import { hostMachine, hostSettings } from '../../actors/host-machine.ts';

const MIN_PROBE_MS = 1;
const MAX_PROBE_MS = 50;

interface Options {
  hosts: number;
  seconds: number;
  speed: number;
  concurrency: number;
  baselineSeconds: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '60' },
      speed: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '32' },
      'baseline-seconds': { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const options = {
    hosts: Number(values.hosts),
    seconds,
    speed: Number(values.speed),
    concurrency: Number(values.concurrency),
    baselineSeconds: Number(values['baseline-seconds'] ?? Math.min(20, Math.ceil(seconds / 3))),
  };
  for (const [key, value] of Object.entries(options)) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`--${key} must be > 0`);
  }
  return options;
}

/** `gc()` whether or not node was started with --expose-gc. */
function getGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A counting semaphore whose waiters leave the queue when their probe is aborted. */
function createLimiter(slots: number) {
  let active = 0;
  const waiting = new Set<() => void>();
  return {
    acquire(signal: AbortSignal): Promise<void> {
      if (active < slots) {
        active++;
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal.removeEventListener('abort', onAbort);
          active++;
          resolve();
        };
        const onAbort = () => {
          waiting.delete(grant);
          reject(signal.reason);
        };
        waiting.add(grant);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    release(): void {
      active--;
      const next = waiting.values().next();
      if (!next.done) {
        waiting.delete(next.value);
        next.value();
      }
    },
    get queued() {
      return waiting.size;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function scaledSettings(speed: number): HostSettings {
  return hostSettings({
    factsIntervalMs: 3_600_000 / speed,
    metricsIntervalMs: 60_000 / speed,
    probeTimeoutMs: 120_000 / speed,
    startupSpreadMs: 300_000 / speed,
    backoffBaseMs: 30_000 / speed,
    backoffCapMs: 3_600_000 / speed,
    backoffFloorMs: 1_000 / speed,
    refreshDebounceMs: 30_000 / speed,
  });
}

/** The host machine with a fake probe: limiter slot, then 1–50 ms of real-timer "work". */
function benchMachine(concurrency: number) {
  const limiter = createLimiter(concurrency);
  let probes = 0;
  const probe = fromPromise<ProbeOutput, ProbeInput>(async ({ input, signal }) => {
    const startedAt = performance.now();
    await limiter.acquire(signal);
    try {
      await sleep(MIN_PROBE_MS + Math.random() * (MAX_PROBE_MS - MIN_PROBE_MS), signal);
    } finally {
      limiter.release();
    }
    probes++;
    return {
      probeId: `${input.hostId}-${probes}`,
      outcome: 'ok',
      durationMs: performance.now() - startedAt,
      // About what a rate computation keeps: a timestamp and a few counters.
      metricsSample: { at: Date.now(), cpu: [probes, 2, 3, 4], rx: probes, tx: probes },
    };
  });
  return { machine: hostMachine.provide({ actors: { probe } }), limiter };
}

type Outcomes = Record<ProbeOutcome, number>;

function countOutcomes(actors: Iterable<AnyActorRef>, outcomes: Outcomes): void {
  for (const actor of actors) {
    actor.on('probe.completed', (event: HostEmitted) => {
      if (event.type === 'probe.completed') outcomes[event.outcome]++;
    });
  }
}

interface Measurement {
  label: string;
  hosts: number;
  heapPerActorBytes: number;
  heapPerActorAfterRunBytes: number;
  rssPeakMb: number;
  cpuPercent: number;
  cyclesPerSecond: number;
  timeoutsPerSecond: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  maxQueued: number;
  stopMs: number;
}

interface Fleet {
  actors(): Iterable<AnyActorRef>;
  /** null: not stopped actor by actor (see childrenOfOneParent); the process exit ends it. */
  stop: (() => void) | null;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a fleet with `start`, lets it warm up, then measures a window of `seconds`. */
async function measure(
  label: string,
  options: Options,
  seconds: number,
  start: (machine: ReturnType<typeof benchMachine>['machine'], settings: HostSettings) => Fleet,
): Promise<Measurement> {
  const gc = getGc();
  const settings = scaledSettings(options.speed);
  const { machine, limiter } = benchMachine(options.concurrency);
  const outcomes: Outcomes = { ok: 0, partial: 0, failed: 0, timeout: 0 };

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  // Created and measured in one synchronous stretch: no timer has fired yet, every actor
  // is idle with its first probe pending.
  const fleet = start(machine, settings);
  countOutcomes(fleet.actors(), outcomes);
  gc();
  const heapIdle = process.memoryUsage().heapUsed;

  // Warm-up: the startup spread, so the window sees the steady cadence.
  const warmupMs = Math.max(settings.startupSpreadMs, settings.metricsIntervalMs);
  let rssPeak = process.memoryUsage().rss;
  let maxQueued = 0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    maxQueued = Math.max(maxQueued, limiter.queued);
  }, 250);
  await wait(warmupMs);

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const before = { ...outcomes };
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await wait(seconds * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  loop.disable();
  clearInterval(sampler);

  gc();
  const heapAfterRun = process.memoryUsage().heapUsed;
  const stopStarted = performance.now();
  fleet.stop?.();
  const stopMs = fleet.stop ? performance.now() - stopStarted : Number.NaN;
  const completed = (key: ProbeOutcome) => outcomes[key] - before[key];
  return {
    label,
    hosts: options.hosts,
    heapPerActorBytes: (heapIdle - heapBefore) / options.hosts,
    heapPerActorAfterRunBytes: (heapAfterRun - heapBefore) / options.hosts,
    rssPeakMb: mb(rssPeak),
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    cyclesPerSecond: ((completed('ok') + completed('partial')) / wallMs) * 1000,
    timeoutsPerSecond: (completed('timeout') / wallMs) * 1000,
    eventLoopP99Ms: loop.percentile(99) / 1e6,
    eventLoopMaxMs: loop.max / 1e6,
    maxQueued,
    stopMs,
  };
}

function rootActors(options: Options) {
  return (machine: ReturnType<typeof benchMachine>['machine'], settings: HostSettings): Fleet => {
    const actors: Actor<typeof machine>[] = [];
    for (let i = 0; i < options.hosts; i++) {
      const actor = createActor(machine, {
        input: { hostId: `host-${i}`, now: Date.now, random: Math.random, settings },
      });
      actors.push(actor);
      actor.start();
    }
    return {
      actors: () => actors,
      stop: () => {
        for (const actor of actors) actor.stop();
      },
    };
  };
}

function childrenOfOneParent(options: Options) {
  return (machine: ReturnType<typeof benchMachine>['machine'], settings: HostSettings): Fleet => {
    const parentMachine = setup({ actors: { host: machine } }).createMachine({
      entry: enqueueActions(({ enqueue }) => {
        for (let i = 0; i < options.hosts; i++) {
          enqueue.spawnChild('host', {
            id: `host-${i}`,
            input: { hostId: `host-${i}`, now: Date.now, random: Math.random, settings },
          });
        }
      }),
    });
    const parent = createActor(parentMachine).start();
    return {
      actors: () => Object.values(parent.getSnapshot().children) as AnyActorRef[],
      // Stopping the parent stops each child, and each stop scans every timer of the
      // shared system: O(N²), about 2.7 s at 1,000 children and minutes at 10,000.
      stop: options.hosts <= 2_000 ? () => parent.stop() : null,
    };
  };
}

function report(m: Measurement): void {
  console.log(`\n== ${m.label} (${m.hosts} hosts)`);
  console.log(`  heap per idle actor     ${(m.heapPerActorBytes / 1024).toFixed(2)} KiB`);
  console.log(`  heap per actor, running ${(m.heapPerActorAfterRunBytes / 1024).toFixed(2)} KiB`);
  console.log(`  RSS peak                ${m.rssPeakMb.toFixed(0)} MB`);
  console.log(`  CPU                     ${m.cpuPercent.toFixed(0)} % of one core`);
  console.log(`  probe cycles/s          ${m.cyclesPerSecond.toFixed(0)}`);
  console.log(`  probe timeouts/s        ${m.timeoutsPerSecond.toFixed(0)}`);
  console.log(`  event-loop delay p99    ${m.eventLoopP99Ms.toFixed(1)} ms`);
  console.log(`  event-loop delay max    ${m.eventLoopMaxMs.toFixed(1)} ms`);
  console.log(`  limiter queue, max      ${m.maxQueued}`);
  const stop = Number.isNaN(m.stopMs) ? 'skipped (O(N²))' : `${m.stopMs.toFixed(0)} ms`;
  console.log(`  stopping all actors     ${stop}`);
}

async function main(): Promise<void> {
  const options = readOptions();
  const settings = scaledSettings(options.speed);
  const offered = options.hosts / (settings.metricsIntervalMs / 1000);
  const capacity = options.concurrency / (((MIN_PROBE_MS + MAX_PROBE_MS) / 2) * 0.001);
  console.log(
    `hosts=${options.hosts} seconds=${options.seconds} speed=${options.speed} ` +
      `concurrency=${options.concurrency} baseline-seconds=${options.baselineSeconds}`,
  );
  console.log(
    `metrics every ${settings.metricsIntervalMs} ms, facts every ${settings.factsIntervalMs} ms, ` +
      `probe timeout ${settings.probeTimeoutMs} ms`,
  );
  console.log(
    `offered ≈ ${offered.toFixed(0)} probes/s; limiter capacity ≈ ${capacity.toFixed(0)}/s` +
      (offered > capacity
        ? ' — overloaded: the wait for a slot counts against the probe timeout, expect timeouts'
        : ''),
  );

  const roots = await measure(
    'independent root actors',
    options,
    options.seconds,
    rootActors(options),
  );
  report(roots);
  const children = await measure(
    'baseline: children of one parent',
    options,
    options.baselineSeconds,
    childrenOfOneParent(options),
  );
  report(children);
  console.log(
    `\nprobe cycles/s, root actors ÷ children of one parent: ` +
      `${(roots.cyclesPerSecond / Math.max(children.cyclesPerSecond, 1e-9)).toFixed(2)}×`,
  );
  const rssOk = roots.rssPeakMb < 500;
  const loopOk = roots.eventLoopP99Ms < 50;
  console.log(
    `goal (root actors): RSS < 500 MB ${rssOk ? 'met' : 'MISSED'}; ` +
      `event-loop p99 < 50 ms ${loopOk ? 'met' : 'MISSED'}`,
  );
}

await main();
// The root fleet was stopped actor by actor; a large baseline is left to the exit.
process.exit(0);
