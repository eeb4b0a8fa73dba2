// The runner process of bench:scale (test/bench/scale.bench.ts forks it): the real startRunner
// against the bench's database, plus what the bench measures from inside — CPU, RSS, heap,
// event-loop delay, the limiter and the metrics batcher, actor states — and, for every probe,
// the time it was due, so the bench can compute probe lag (due → started) against the start
// time the probe recorded in intel_probes.
//
// Due times come from the supervisor's transitions: a host's view outside `probing` shows
// its next facts and metrics due times; the probe that starts next serves the earlier of the
// two (host-machine.ts `dispatch`). The probe's id is in the view once it has finished.
//
// Talks to the bench over the IPC channel: it sends `ready`, answers `sample` (with the due
// records gathered since the last one), `profile` and `heap` requests, and stops on `stop`. Configured by environment variables (see `settings`).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';
import type { HostView } from '../../actors/host-view.ts';
import { startRunner } from '../../actors/runner.ts';
import type { ConnectionPoolStats } from '../../collectors/connection-pool.ts';
import { createSql } from '../../sql/client.ts';
import { createSecretBox } from '../../sql/secrets.ts';

export interface RunnerSample {
  at: number;
  /** process.cpuUsage() totals, µs. */
  cpuUser: number;
  cpuSystem: number;
  rss: number;
  /** Highest RSS seen since the previous sample. */
  rssPeak: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the V8 heap: Buffers and other native allocations V8 knows of. */
  external: number;
  /** Errors that escaped everything (see `survivable`), counted instead of crashing. */
  uncaught: string[];
  /** Event-loop delay since the previous sample, ms. */
  loopP99: number;
  loopMax: number;
  actors: number;
  states: Record<string, number>;
  limiter: { active: number; queued: number; maxActive: number };
  /** The highest limiter queue seen since the previous sample. */
  queuedPeak: number;
  metrics: { pending: number; written: number; dropped: number; failures: number };
  /** The runner's SSH connection pool, when the bench turned it on. */
  sshPool: ConnectionPoolStats | null;
}

/** A probe and the time it was due (epoch ms); startedAt/finishedAt come from intel_probes. */
export interface DueRecord {
  probeId: string;
  hostId: string;
  type: 'facts' | 'metrics';
  reason: 'scheduled' | 'manual';
  dueAt: number;
  /** When the host actor entered `probing` (its timer fired), before the limiter's queue. */
  actorStartedAt: number;
}

export type ToRunner =
  | { type: 'sample' }
  | { type: 'heap'; file: string }
  | { type: 'profile'; action: 'start' }
  | { type: 'profile'; action: 'stop'; file: string }
  | { type: 'stop' };

export type FromRunner =
  | { type: 'ready'; hosts: number; at: number }
  | { type: 'sample'; sample: RunnerSample; dues: DueRecord[] }
  | { type: 'heap'; file: string }
  | { type: 'profiled'; file: string | null }
  | { type: 'stopped' };

const settings = {
  url: process.env.SCALE_DATABASE_URL ?? '',
  secretKey: process.env.SCALE_SECRET_KEY ?? '',
  concurrency: Number(process.env.SCALE_CONCURRENCY ?? 32),
  perGroup: Number(process.env.SCALE_PER_GROUP ?? 8),
  spreadMs: process.env.SCALE_SPREAD_MS ? Number(process.env.SCALE_SPREAD_MS) : undefined,
  pool: Number(process.env.SCALE_POOL ?? 48),
  /** SSH connections kept open for metrics probes (0: a new connection per probe). */
  sshPoolMaxOpen: Number(process.env.SCALE_SSH_POOL ?? 0),
  sshPoolIdleMs: Number(process.env.SCALE_SSH_POOL_IDLE_MS ?? 90_000),
};

function send(message: FromRunner): void {
  process.send?.(message);
}

// ssh2 emits a second 'error' on a Client whose handshake already failed (timed out, then
// the socket closes: "Connection lost before handshake"), and collectors/transport.ts listens
// with once(): the runner process dies. It happens when the event loop or a host is slow
// enough for the 10 s connect timeout, which a loaded 2-core machine reaches. The bench counts
// these and reports them instead of losing the run; anything else still ends the process.
const uncaught: string[] = [];
const survivable = (error: unknown) =>
  error instanceof Error &&
  /^(Connection lost before handshake|Timed out while waiting for handshake)$/.test(error.message);
process.on('uncaughtException', (error) => {
  if (!survivable(error)) {
    console.error('scale-runner: uncaught', error);
    process.exit(1);
  }
  uncaught.push(error.message);
});

async function main(): Promise<void> {
  if (!settings.url || !settings.secretKey || !process.send) {
    throw new Error('scale-runner is forked by test/bench/scale.bench.ts');
  }
  // As `hostintel serve` sizes it: one reserved connection per in-flight probe, plus room.
  const sql = createSql(settings.url, { max: settings.pool });
  const runner = await startRunner({
    sql,
    secrets: createSecretBox(Buffer.from(settings.secretKey, 'base64')),
    log: pino({ level: process.env.SCALE_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
    limits: { global: settings.concurrency, perGroup: settings.perGroup },
    ...(settings.spreadMs === undefined
      ? {}
      : { defaults: { startupSpreadMs: settings.spreadMs } }),
    ...(settings.sshPoolMaxOpen > 0
      ? { sshPool: { maxOpen: settings.sshPoolMaxOpen, idleMs: settings.sshPoolIdleMs } }
      : {}),
  });
  const { supervisor } = runner;

  // Per host: the earlier of its next facts and metrics due times as last seen outside
  // `probing` (consumed by the probe that starts next), the probe in flight, and the id of
  // the last finished probe (the view's lastProbe changes when one finishes).
  const nextDue = new Map<string, number>();
  const inFlight = new Map<string, { dueAt: number; actorStartedAt: number }>();
  const lastProbeId = new Map<string, string | null>();
  const records: DueRecord[] = [];
  const dueOf = (view: HostView) => {
    const times = [view.nextFactsDueAt, view.nextMetricsDueAt]
      .filter((t): t is string => t !== null)
      .map(Date.parse);
    return times.length > 0 ? Math.min(...times) : undefined;
  };
  const observe = (hostId: string, view: HostView) => {
    const last = view.lastProbe;
    if (last && last.probeId !== lastProbeId.get(hostId)) {
      lastProbeId.set(hostId, last.probeId);
      const started = inFlight.get(hostId);
      inFlight.delete(hostId);
      // A probe the actor timed out has no id here: its lag is not measured.
      if (started && last.probeId && started.actorStartedAt <= Date.parse(last.finishedAt)) {
        records.push({
          probeId: last.probeId,
          hostId,
          type: last.type,
          reason: 'scheduled',
          ...started,
        });
      }
    }
    if (view.state === 'probing' && view.inFlight) {
      const actorStartedAt = Date.parse(view.inFlight.startedAt);
      const due = nextDue.get(hostId);
      if (
        inFlight.get(hostId)?.actorStartedAt !== actorStartedAt &&
        due !== undefined &&
        view.inFlight.reason === 'scheduled'
      ) {
        inFlight.set(hostId, { dueAt: due, actorStartedAt });
      }
      nextDue.delete(hostId); // consumed: a probe right after this one is not measured
      return;
    }
    inFlight.delete(hostId); // left probing without a finished probe (paused, stopped)
    const due = dueOf(view);
    if (due !== undefined) nextDue.set(hostId, due);
  };
  supervisor.subscribe(({ hostId, view }) => observe(hostId, view));
  for (const view of supervisor.views()) {
    lastProbeId.set(view.hostId, view.lastProbe?.probeId ?? null);
    observe(view.hostId, view);
  }

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let rssPeak = process.memoryUsage.rss();
  let queuedPeak = 0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    queuedPeak = Math.max(queuedPeak, runner.limiter.stats().queued);
  }, 250);
  sampler.unref();

  const sample = (): RunnerSample => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const states: Record<string, number> = {};
    for (const view of supervisor.views()) states[view.state] = (states[view.state] ?? 0) + 1;
    const stats = runner.metrics.stats();
    const result: RunnerSample = {
      at: Date.now(),
      cpuUser: cpu.user,
      cpuSystem: cpu.system,
      rss: memory.rss,
      rssPeak: Math.max(rssPeak, memory.rss),
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      uncaught: uncaught.splice(0),
      loopP99: loop.percentile(99) / 1e6,
      loopMax: loop.max / 1e6,
      actors: supervisor.size,
      states,
      limiter: runner.limiter.stats(),
      queuedPeak,
      metrics: {
        pending: stats.pending,
        written: stats.written,
        dropped: stats.dropped,
        failures: stats.failures,
      },
      sshPool: runner.sshPool?.stats() ?? null,
    };
    loop.reset();
    rssPeak = memory.rss;
    queuedPeak = 0;
    return result;
  };

  // A CPU profile of a phase, on request (bench:scale --profile DIR).
  const inspector = new Session();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      inspector.post(method, params ?? {}, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );

  let stopping = false;
  process.on('message', (message: ToRunner) => {
    if (message.type === 'sample') {
      // Handed over with each sample: the bench keeps them, not this process's heap.
      send({ type: 'sample', sample: sample(), dues: records.splice(0) });
    } else if (message.type === 'heap') {
      send({ type: 'heap', file: writeHeapSnapshot(message.file) });
    } else if (message.type === 'profile' && message.action === 'start') {
      inspector.connect();
      void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
        .then(() => post('Profiler.start'));
    } else if (message.type === 'profile' && message.action === 'stop') {
      const file = message.file;
      void post('Profiler.stop')
        .then((result) => {
          writeFileSync(file, JSON.stringify((result as { profile: unknown }).profile));
          inspector.disconnect();
          send({ type: 'profiled', file });
        })
        .catch(() => send({ type: 'profiled', file: null }));
    } else if (message.type === 'stop') {
      stopping = true;
      clearInterval(sampler);
      void runner
        .stop(10_000)
        .then(() => sql.end({ timeout: 5 }))
        .finally(() => {
          send({ type: 'stopped' });
          process.disconnect?.();
        });
    }
  });
  // The bench went away without stopping this process: stop too.
  process.once('disconnect', () => {
    if (!stopping) void runner.stop(1_000).finally(() => process.exit(0));
  });
  send({ type: 'ready', hosts: supervisor.size, at: Date.now() });
}

main().catch((error: unknown) => {
  console.error(`scale-runner: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
