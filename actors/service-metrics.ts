// The service's own metrics for GET /metrics (Prometheus text): probes by outcome, probe
// durations, actors by state, probe queue depth, database write latency, and Node's process
// metrics. Each call makes its own Registry — never prom-client's global one — because tests
// build several apps and runners in one process and their counts must not mix.
//
// Counters and histograms are recorded as things happen (RunnerObserver, called by the
// runner). Gauges are read at scrape time from sources the runner registers (watchActors,
// watchQueue), so a scrape costs nothing between scrapes and is never stale. A process
// without a runner (serve --role api) has no sources and reports 0 actors and 0 queued.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HostStateName, ProbeOutcome, ProbeType } from './host-machine.ts';
import type { LimiterStats } from './limiter.ts';

const PROBE_TYPES = ['facts', 'metrics'] as const satisfies readonly ProbeType[];
const PROBE_OUTCOMES = [
  'ok',
  'partial',
  'failed',
  'timeout',
] as const satisfies readonly ProbeOutcome[];

/** What a database write stored: a probe's facts and record (one transaction), a metrics batch. */
export const dbWriteKinds = ['probe', 'metrics'] as const;
export type DbWriteKind = (typeof dbWriteKinds)[number];

// From a metrics probe on a LAN (~50 ms) to the host machine's probe timeout (120 s).
export const PROBE_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
// From a no-change facts diff (~3 ms, DESIGN §8) to a database that is struggling.
export const DB_WRITE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

/** Host actors per state (they partition the actors) and how many are marked unreachable. */
export interface ActorCounts {
  byState: Record<HostStateName, number>;
  /** Orthogonal to the state: an unreachable host is still retried (backoff, probing). */
  unreachable: number;
}

/** Probes waiting for a limiter slot, and probes holding one (`limiter.stats()` fits). */
export type QueueDepth = Pick<LimiterStats, 'queued' | 'active'>;

export interface FinishedProbe {
  type: ProbeType;
  outcome: ProbeOutcome;
  durationMs: number;
}

/** What the probe runner reports. Sources are read at scrape time; each returns a detach. */
export interface RunnerObserver {
  probeFinished(probe: FinishedProbe): void;
  dbWrite(kind: DbWriteKind, ms: number, failed?: boolean): void;
  watchActors(source: () => ActorCounts): () => void;
  watchQueue(source: () => QueueDepth): () => void;
}

export interface ServiceMetrics extends RunnerObserver {
  readonly registry: Registry;
  /** The exposition text (what http/service-metrics.ts serves). */
  metrics(): Promise<string>;
}

/** Counts actors from their views (supervisor.views()); see countActors' callers. */
export function countActors(
  views: Iterable<{ state: HostStateName; unreachable: boolean }>,
): ActorCounts {
  const byState: Record<HostStateName, number> = { idle: 0, probing: 0, backoff: 0, paused: 0 };
  let unreachable = 0;
  for (const view of views) {
    byState[view.state]++;
    if (view.unreachable) unreachable++;
  }
  return { byState, unreachable };
}

/** Times one database write; the observer is optional so stores work without metrics. */
export async function timeDbWrite<T>(
  observer: Pick<RunnerObserver, 'dbWrite'> | undefined,
  kind: DbWriteKind,
  write: () => Promise<T>,
): Promise<T> {
  if (!observer) return write();
  const started = performance.now();
  try {
    const result = await write();
    observer.dbWrite(kind, performance.now() - started);
    return result;
  } catch (error) {
    observer.dbWrite(kind, performance.now() - started, true);
    throw error;
  }
}

export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const probes = new Counter({
    name: 'hostintel_probes_total',
    help: 'Finished probes by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  const probeDuration = new Histogram({
    name: 'hostintel_probe_duration_seconds',
    help: 'Duration of finished probes by type, as the host actor records it',
    labelNames: ['type'] as const,
    buckets: PROBE_DURATION_BUCKETS,
    registers,
  });
  const dbWrites = new Histogram({
    name: 'hostintel_db_write_duration_seconds',
    help: "Time to store a probe's facts and record, or a batch of metric rows",
    labelNames: ['kind'] as const,
    buckets: DB_WRITE_BUCKETS,
    registers,
  });
  const dbWriteErrors = new Counter({
    name: 'hostintel_db_write_errors_total',
    help: 'Database writes that failed (a metrics batch is retried with the next one)',
    labelNames: ['kind'] as const,
    registers,
  });
  // Every known series exists from the start at 0, so rate() and alerts see the first event.
  for (const type of PROBE_TYPES) {
    probeDuration.zero({ type });
    for (const outcome of PROBE_OUTCOMES) probes.inc({ type, outcome }, 0);
  }
  for (const kind of dbWriteKinds) {
    dbWrites.zero({ kind });
    dbWriteErrors.inc({ kind }, 0);
  }

  // Several runners may share one registry (tests); their gauges add up. Each pair of gauges
  // reads its sources once per scrape (a scrape collects every gauge in one synchronous run),
  // so the two numbers come from one snapshot and the sources are not asked twice.
  const actorSources = new Set<() => ActorCounts>();
  const queueSources = new Set<() => QueueDepth>();
  const readActors = oncePerTick(() => {
    const total = countActors([]);
    for (const source of actorSources) {
      const counts = source();
      for (const state of Object.keys(total.byState) as HostStateName[]) {
        total.byState[state] += counts.byState[state];
      }
      total.unreachable += counts.unreachable;
    }
    return total;
  });
  const readQueue = oncePerTick(() => {
    const total: QueueDepth = { queued: 0, active: 0 };
    for (const source of queueSources) {
      const depth = source();
      total.queued += depth.queued;
      total.active += depth.active;
    }
    return total;
  });

  const actorsByState = new Gauge({
    name: 'hostintel_actors',
    help: 'Host actors in this process by state (idle, probing, backoff, paused)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      for (const [state, n] of Object.entries(readActors().byState)) {
        actorsByState.set({ state }, n);
      }
    },
  });
  const unreachable = new Gauge({
    name: 'hostintel_actors_unreachable',
    help: 'Host actors marked unreachable (consecutive failures); they are still retried',
    registers,
    collect() {
      unreachable.set(readActors().unreachable);
    },
  });
  const queued = new Gauge({
    name: 'hostintel_probe_queue_depth',
    help: 'Probes waiting for a concurrency slot (global or per-group limit)',
    registers,
    collect() {
      queued.set(readQueue().queued);
    },
  });
  const running = new Gauge({
    name: 'hostintel_probes_running',
    help: 'Probes holding a concurrency slot',
    registers,
    collect() {
      running.set(readQueue().active);
    },
  });

  const watch = <T>(sources: Set<T>, source: T) => {
    sources.add(source);
    return () => {
      sources.delete(source);
    };
  };

  return {
    registry,
    metrics: () => registry.metrics(),
    probeFinished({ type, outcome, durationMs }) {
      probes.inc({ type, outcome });
      probeDuration.observe({ type }, durationMs / 1000);
    },
    dbWrite(kind, ms, failed = false) {
      dbWrites.observe({ kind }, ms / 1000);
      if (failed) dbWriteErrors.inc({ kind });
    },
    watchActors: (source) => watch(actorSources, source),
    watchQueue: (source) => watch(queueSources, source),
  };
}

/** `read`, answered from one call until the current synchronous run ends. */
function oncePerTick<T>(read: () => T): () => T {
  let cached: { value: T } | null = null;
  return () => {
    if (!cached) {
      cached = { value: read() };
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached.value;
  };
}
