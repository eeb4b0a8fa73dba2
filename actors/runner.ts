// The composition root of the probe runner: the lease loop decides which hosts this process
// holds (several runners may share the database), the supervisor keeps one host actor per held
// host, the real probe (SSH + storage), LISTEN/NOTIFY on the host table with a periodic
// reconcile as a safety net, probe requests from API processes, batched metrics, and the
// housekeeping actor (one runner at a time). `stop()` lets in-flight probes finish within a
// deadline, aborts the rest, records what they did, flushes pending metrics, and releases
// every lease so that the other runners take the hosts over at once.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createActor, fromPromise } from 'xstate';
import { SshConnectionPool } from '../collectors/connection-pool.ts';
import { JumpHostError } from '../collectors/transport.ts';
import type { Sql } from '../sql/client.ts';
import { recordHostEvent } from '../sql/events.ts';
import { hostsForRunner, type RunnerHost, sshTarget } from '../sql/hosts.ts';
import { targetWithJumps } from '../sql/jump-hosts.ts';
import type { HeldLease, RunnerIdentity } from '../sql/leases.ts';
import type { MetricRows } from '../sql/metrics.ts';
import { abandonRunningProbes, probesInFlight } from '../sql/probes.ts';
import { enforceRetention, type RetentionSettings } from '../sql/retention.ts';
import { rollupMetrics } from '../sql/rollups.ts';
import {
  answerProbeRequest,
  type Channel,
  exclusively,
  listenChannel,
  PROBE_REQUESTS_CHANNEL,
  parseProbeRequest,
} from '../sql/runners.ts';
import { isConnectionError, withSafeSessions } from '../sql/safe-sessions.ts';
import type { SecretBox } from '../sql/secrets.ts';
import { Batcher } from './batcher.ts';
import type { HostSettings } from './host-machine.ts';
import { type LeasePolicy, leasePolicy } from './lease-plan.ts';
import { LEASES_CHANNEL, type LeaseLoop, sqlLeaseStore, startLeaseLoop } from './leases.ts';
import { ProbeLimiter } from './limiter.ts';
import { createProbeRunner } from './probe-runner.ts';
import { createProbeStore, metricsWriter } from './probe-store.ts';
import { retentionMachine } from './retention-machine.ts';
import type { RunnerObserver } from './service-metrics.ts';
import { type SupervisedHost, Supervisor } from './supervisor.ts';

export interface RunnerOptions {
  sql: Sql;
  /** Service metrics (GET /metrics): probe outcomes, actors, queue, write latency. */
  observer?: RunnerObserver;
  secrets: SecretBox;
  log: Logger;
  limits?: { global: number; perGroup: number };
  defaults?: Partial<HostSettings>;
  reconcileIntervalMs?: number;
  retention?: Partial<RetentionSettings>;
  housekeepingIntervalMs?: number;
  /** Lease time-to-live (default 30 s); the heartbeat renews every third of it. */
  leaseTtlMs?: number;
  /** Overrides of the lease policy derived from the TTL (tests). */
  lease?: Partial<LeasePolicy>;
  /** How this process shows in GET /v1/runners (default name: hostname:pid). */
  name?: string;
  version?: string;
  /**
   * Keep metrics probes' SSH connections open for each host's next probe
   * (collectors/connection-pool.ts). Off by default: it trades runner memory (~37 KiB per
   * open connection) and an sshd session per host for the handshake's CPU. `idleMs` should
   * exceed the metrics interval plus its jitter, or nothing is reused.
   */
  sshPool?: { maxOpen: number; idleMs: number };
}

export interface Runner {
  /** This process's id in the runners table. */
  id: string;
  /** Present when options.sshPool is. */
  sshPool?: SshConnectionPool;
  supervisor: Supervisor;
  limiter: ProbeLimiter;
  metrics: Batcher<MetricRows>;
  leases: LeaseLoop;
  stop(deadlineMs?: number): Promise<void>;
}

export const runnerDefaults = {
  limits: { global: 32, perGroup: 8 },
  reconcileIntervalMs: 60_000,
  housekeepingIntervalMs: 3_600_000,
  leaseTtlMs: 30_000,
};

// "hostintel housekeeping": rollups and retention run in one runner at a time.
const HOUSEKEEPING_LOCK_CLASS = 0x686b6570;

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
  const { secrets, log } = options;
  // Probe locks and COPY on reserved connections, fact writes in transactions: all of them
  // must survive a database restart without taking the process down.
  const sql = withSafeSessions(options.sql);
  const policy = leasePolicy(options.leaseTtlMs ?? runnerDefaults.leaseTtlMs, options.lease);
  const identity: RunnerIdentity = {
    id: randomUUID(),
    name: options.name ?? `${hostname()}:${process.pid}`,
    hostname: hostname(),
    pid: process.pid,
    version: options.version ?? 'dev',
  };
  const limiter = new ProbeLimiter(options.limits ?? runnerDefaults.limits);
  const metrics = new Batcher<MetricRows>(metricsWriter(sql, options.observer), {
    intervalMs: 1000,
    maxItems: 500,
  });
  const store = createProbeStore(sql, metrics, options.observer);
  const inFlight = new Set<Promise<unknown>>();
  // Hosts whose probe holds a concurrency slot (past the queue): never released mid-probe.
  const probing = new Set<string>();

  const pool = options.sshPool ? new SshConnectionPool(options.sshPool) : undefined;
  const runProbe = createProbeRunner({
    store,
    pool,
    loadTarget: async (hostId) => {
      const [host] = await hostsForRunner(sql, { ids: [hostId] });
      const target = host && sshTarget(host, secrets);
      if (!host || !target) return null;
      const probed = {
        hostId,
        target,
        sudo: host.sudo,
        disabledCollectors: host.disabledCollectors,
      };
      // A jump host that cannot be used is this probe's failure, on the record like any other.
      const jumped = await targetWithJumps(sql, host, target, secrets).catch((error: unknown) => {
        if (error instanceof JumpHostError) return error;
        throw error;
      });
      return jumped instanceof JumpHostError
        ? { ...probed, refusal: jumped }
        : { ...probed, target: jumped };
    },
  });

  // The hosts whose lease this runner holds: what the supervisor runs actors for.
  let held: ReadonlySet<string> = new Set();
  let stopping = false;
  const handover = createHandover(sql, policy);
  const supervisor = new Supervisor({
    limiter,
    defaults: options.defaults,
    loadHosts: async () => {
      if (held.size === 0) return [];
      const hosts = await hostsForRunner(sql, { ids: [...held] });
      return hosts
        .filter((h) => held.has(h.id)) // held may have shrunk while the query ran
        .map((h) => {
          const supervised = toSupervised(h);
          supervised.settings = { ...handover.settingsFor(h.id), ...supervised.settings };
          return supervised;
        });
    },
    runProbe: (input, signal) => {
      const running = (async () => {
        await handover.settle(input.hostId, signal);
        return runProbe(input, signal);
      })().catch((error: unknown) => {
        if (signal.aborted) throw error; // stopped (lease lost, shutdown): nothing to report
        // The database being away is one warning per probe, not a stack trace each.
        if (isConnectionError(error)) {
          log.warn({ hostId: input.hostId, error: String(error) }, 'probe not stored: no database');
        } else log.error({ hostId: input.hostId, err: error }, 'probe could not be stored');
        throw error;
      });
      inFlight.add(running);
      probing.add(input.hostId);
      void running
        .finally(() => {
          inFlight.delete(running);
          probing.delete(input.hostId);
        })
        .catch(() => {});
      return running;
    },
    onEmitted: (event) => {
      if (event.type === 'probe.completed') {
        options.observer?.probeFinished({
          type: event.probeType,
          outcome: event.outcome,
          durationMs: event.durationMs,
        });
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
  const unwatchers = [
    options.observer?.watchActors(() => supervisor.actorCounts()),
    options.observer?.watchQueue(() => limiter.stats()),
  ];
  const reconcile = async () => {
    if (stopping) return;
    await supervisor
      .reconcile()
      .catch((error: unknown) => log.error({ err: error }, 'reconcile failed'));
  };

  // Only probes nobody holds any more: those of dead runners, never another live runner's.
  const abandoned = await abandonRunningProbes(sql);
  if (abandoned) log.info({ abandoned }, 'closed probes left running by a dead runner');

  const channels: Channel[] = [];
  const leases = startLeaseLoop({
    policy,
    deps: {
      store: sqlLeaseStore(sql, identity, policy.ttlMs),
      apply: async (next, leases) => {
        if (stopping) return;
        await handover.follow(held, next, leases);
        if (next.size !== held.size) log.info({ hosts: next.size }, 'leases changed');
        held = next;
        await reconcile();
      },
      busy: (hostId) => probing.has(hostId),
      reconnected: async () => {
        log.info('database reachable again: listening anew');
        await Promise.all(channels.map((c) => c.rearm()));
        void reconcile();
      },
    },
  });
  await leases.ready;
  await reconcile();
  handover.started();

  channels.push(
    await listenChannel(sql, 'hostintel_hosts', () => {
      leases.wake();
      void reconcile();
    }),
    await listenChannel(sql, LEASES_CHANNEL, (runnerId) => {
      if (runnerId !== identity.id) leases.wake();
    }),
    await listenChannel(sql, PROBE_REQUESTS_CHANNEL, (payload) => {
      const request = parseProbeRequest(payload);
      if (!request || request.runnerId !== identity.id) return;
      const answer = supervisor.requestProbe(request.hostId);
      answerProbeRequest(sql, request.requestId, answer).catch((error: unknown) =>
        log.error({ err: error }, 'could not answer a probe request'),
      );
    }),
  );
  const timer = setInterval(
    reconcile,
    options.reconcileIntervalMs ?? runnerDefaults.reconcileIntervalMs,
  );
  timer.unref();

  const housekeeping = createActor(
    retentionMachine.provide({
      actors: {
        housekeeping: fromPromise(async () => {
          const ran = await exclusively(sql, HOUSEKEEPING_LOCK_CLASS, async () => {
            await rollupMetrics(sql);
            const steps = await enforceRetention(sql, options.retention);
            log.info({ steps }, 'retention enforced');
          });
          if (!ran) log.debug('housekeeping skipped: another runner is at it');
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
  log.info(
    { runnerId: identity.id, hosts: supervisor.size, leaseTtlMs: policy.ttlMs },
    'runner started',
  );

  // In-flight probes get until the deadline, then are aborted (their outcome is still stored);
  // every lease is released last, so the other runners take the hosts over at once.
  const shutdown = async (deadlineMs: number): Promise<void> => {
    stopping = true;
    clearInterval(timer);
    // Bounded: after a database restart the driver's LISTEN connection may never answer.
    await within(2_000, Promise.all(channels.map((c) => c.close())));
    housekeeping.stop();
    leases.drain(); // keep renewing while probes finish, claim nothing more
    limiter.close(); // queued probes give up; running ones get until the deadline
    const deadline = Date.now() + deadlineMs;
    while (inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...inFlight]), sleep(100)]);
    }
    supervisor.stop(); // aborts what is still running; their outcome is still stored
    for (const unwatch of unwatchers) unwatch?.();
    await Promise.allSettled([...inFlight]);
    pool?.close();
    await within(5_000, metrics.close());
    await leases.stop(); // every lease released: the other runners take over at once
  };

  let stopped: Promise<void> | undefined;
  return {
    id: identity.id,
    ...(pool ? { sshPool: pool } : {}),
    supervisor,
    limiter,
    metrics,
    leases,
    stop(deadlineMs = 10_000) {
      stopped ??= shutdown(deadlineMs);
      return stopped;
    },
  };
}

/**
 * Hosts that change hands. One that was being probed before — taken over from another runner,
 * or got back after a fence — is first probed within a quarter of the TTL (not the start-up
 * spread), so that a dead runner's hosts are probed again within 2 × TTL; a new host, and every
 * host at start, keeps the usual spread. And if its previous owner was still finishing a probe
 * of it, the first probe here waits until that one let go of the host's lock (closing it if it
 * never will), so that in the probe log too its start comes after the other's end.
 */
function createHandover(sql: Sql, policy: LeasePolicy) {
  const everHeld = new Set<string>();
  const handedOver = new Set<string>();
  const unsettled = new Set<string>();
  const quick: Partial<HostSettings> = { startupSpreadMs: Math.round(policy.ttlMs / 4) };
  let afterStart = false;
  return {
    started() {
      afterStart = true;
    },
    settingsFor: (hostId: string): Partial<HostSettings> => (handedOver.has(hostId) ? quick : {}),
    /** Called with each new lease set, before the supervisor follows it. */
    async follow(
      before: ReadonlySet<string>,
      next: ReadonlySet<string>,
      leases: readonly HeldLease[],
    ) {
      for (const id of handedOver) if (!next.has(id)) handedOver.delete(id);
      for (const id of unsettled) if (!next.has(id)) unsettled.delete(id);
      const taken = leases
        .filter((l) => !before.has(l.hostId) && (l.claims > 1 || everHeld.has(l.hostId)))
        .map((l) => l.hostId);
      if (afterStart) for (const id of taken) handedOver.add(id);
      const finishing = await probesInFlight(sql, taken);
      for (const id of finishing) unsettled.add(id);
      const settled = taken.filter((id) => !finishing.has(id));
      if (settled.length > 0) await abandonRunningProbes(sql, { hostIds: settled });
      for (const lease of leases) everHeld.add(lease.hostId);
    },
    /** Before a probe: waits while the previous owner's probe of the host still runs. */
    async settle(hostId: string, signal: AbortSignal) {
      if (!unsettled.has(hostId)) return;
      while ((await probesInFlight(sql, [hostId])).size > 0) await sleep(100, signal);
      await abandonRunningProbes(sql, { hostIds: [hostId] });
      unsettled.delete(hostId);
    },
  };
}

/** `work`, or nothing once `ms` have passed: a shutdown step that must not hang the exit. */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
