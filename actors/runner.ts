// The composition root of the probe runner: host actors under the supervisor, the real probe
// (SSH + storage), LISTEN/NOTIFY on the host table with a periodic reconcile as a safety net,
// batched metrics, and the housekeeping actor. `stop()` lets in-flight probes finish within a
// deadline, aborts the rest, records what they did, and flushes pending metrics.
import type { Logger } from 'pino';
import { createActor } from 'xstate';
import { fromPromise } from 'xstate';
import type { Sql } from '../sql/client.ts';
import { recordHostEvent } from '../sql/events.ts';
import { hostsForRunner, type RunnerHost, sshTarget } from '../sql/hosts.ts';
import type { MetricRows } from '../sql/metrics.ts';
import { abandonRunningProbes } from '../sql/probes.ts';
import { enforceRetention, type RetentionSettings } from '../sql/retention.ts';
import { rollupMetrics } from '../sql/rollups.ts';
import type { SecretBox } from '../sql/secrets.ts';
import { Batcher } from './batcher.ts';
import type { HostSettings } from './host-machine.ts';
import { ProbeLimiter } from './limiter.ts';
import { createProbeRunner } from './probe-runner.ts';
import { createProbeStore, metricsWriter } from './probe-store.ts';
import { retentionMachine } from './retention-machine.ts';
import { type SupervisedHost, Supervisor } from './supervisor.ts';

export interface RunnerOptions {
  sql: Sql;
  secrets: SecretBox;
  log: Logger;
  limits?: { global: number; perGroup: number };
  defaults?: Partial<HostSettings>;
  reconcileIntervalMs?: number;
  retention?: Partial<RetentionSettings>;
  housekeepingIntervalMs?: number;
}

export interface Runner {
  supervisor: Supervisor;
  limiter: ProbeLimiter;
  metrics: Batcher<MetricRows>;
  stop(deadlineMs?: number): Promise<void>;
}

export const runnerDefaults = {
  limits: { global: 32, perGroup: 8 },
  reconcileIntervalMs: 60_000,
  housekeepingIntervalMs: 3_600_000,
};

export function toSupervised(host: RunnerHost): SupervisedHost {
  return {
    id: host.id,
    enabled: host.enabled,
    groups: host.groups,
    settings: {
      ...(host.factsIntervalS ? { factsIntervalMs: host.factsIntervalS * 1000 } : {}),
      ...(host.metricsIntervalS ? { metricsIntervalMs: host.metricsIntervalS * 1000 } : {}),
    },
    version: host.updatedAt.toISOString(),
  };
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const { sql, secrets, log } = options;
  const limiter = new ProbeLimiter(options.limits ?? runnerDefaults.limits);
  const metrics = new Batcher<MetricRows>(metricsWriter(sql), { intervalMs: 1000, maxItems: 500 });
  const store = createProbeStore(sql, metrics);
  const inFlight = new Set<Promise<unknown>>();

  const runProbe = createProbeRunner({
    store,
    loadTarget: async (hostId) => {
      const [host] = await hostsForRunner(sql, { ids: [hostId] });
      const target = host && sshTarget(host, secrets);
      if (!host || !target) return null;
      return { hostId, target, sudo: host.sudo, disabledCollectors: host.disabledCollectors };
    },
  });

  const supervisor = new Supervisor({
    limiter,
    defaults: options.defaults,
    loadHosts: async () => (await hostsForRunner(sql)).map(toSupervised),
    runProbe: (input, signal) => {
      const running = runProbe(input, signal).catch((error: unknown) => {
        log.error({ hostId: input.hostId, err: error }, 'probe could not be stored');
        throw error;
      });
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running)).catch(() => {});
      return running;
    },
    onEmitted: (event) => {
      if (event.type === 'probe.completed') {
        const level = event.outcome === 'ok' ? 'debug' : 'info';
        log[level](
          {
            hostId: event.hostId,
            probeId: event.probeId,
            type: event.probeType,
            outcome: event.outcome,
            durationMs: event.durationMs,
            error: event.error,
          },
          'probe finished',
        );
        return;
      }
      log.warn({ hostId: event.hostId }, `host ${event.type}`);
      const detail =
        event.type === 'unreachable'
          ? { consecutiveFailures: event.consecutiveFailures, lastError: event.lastError }
          : { failedProbesBefore: event.failedProbesBefore };
      recordHostEvent(sql, event.hostId, event.type, detail).catch((error: unknown) =>
        log.error({ err: error }, 'could not record a host event'),
      );
    },
  });

  const abandoned = await abandonRunningProbes(sql, { startedBefore: new Date() });
  if (abandoned) log.info({ abandoned }, 'closed probes left running by a previous process');

  const reconcile = () =>
    supervisor.reconcile().catch((error: unknown) => log.error({ err: error }, 'reconcile failed'));
  await supervisor.reconcile();
  const listener = await sql.listen('hostintel_hosts', () => void reconcile());
  const timer = setInterval(
    reconcile,
    options.reconcileIntervalMs ?? runnerDefaults.reconcileIntervalMs,
  );
  timer.unref();

  const housekeeping = createActor(
    retentionMachine.provide({
      actors: {
        housekeeping: fromPromise(async () => {
          await rollupMetrics(sql);
          const steps = await enforceRetention(sql, options.retention);
          log.info({ steps }, 'retention enforced');
        }),
      },
    }),
    {
      input: {
        intervalMs: options.housekeepingIntervalMs ?? runnerDefaults.housekeepingIntervalMs,
        firstRunMs: 60_000,
      },
    },
  ).start();
  log.info({ hosts: supervisor.size }, 'runner started');

  return {
    supervisor,
    limiter,
    metrics,
    async stop(deadlineMs = 10_000) {
      clearInterval(timer);
      await listener.unlisten().catch(() => {});
      housekeeping.stop();
      limiter.close(); // queued probes give up; running ones get until the deadline
      const deadline = Date.now() + deadlineMs;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...inFlight]), sleep(100)]);
      }
      supervisor.stop(); // aborts what is still running; their outcome is still stored
      await Promise.allSettled([...inFlight]);
      await metrics.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
