// The real `probe` actor behind every host actor: load the host's current row, probe it over
// SSH, pin a first-contact host key, and store the outcome — facts and the probe record in one
// transaction, metrics into the cross-host batch. Host problems never throw from here: they
// are the probe's outcome, which the host machine turns into backoff.
import type { SshConnectionPool } from '../collectors/connection-pool.ts';
import { type ProbeResult, probe, probeLimits } from '../collectors/probe.ts';
import type { SshTarget, TransportError } from '../collectors/transport.ts';
import type { RawMetrics } from '../collectors/types.ts';
import type { ProbeInput, ProbeOutput } from './host-machine.ts';

/** What the runner needs of a host: where it is and how to log in (already decrypted). */
export interface ProbeTarget {
  hostId: string;
  target: SshTarget;
  sudo: boolean;
  disabledCollectors: readonly string[];
  /** Why the target cannot be used as configured: the probe fails with it, on the record. */
  refusal?: TransportError;
}

/** A metrics sample as the host actor keeps it between probes (for rates). */
export interface MetricsSample {
  at: Date;
  metrics: RawMetrics;
}

export interface ProbeStore {
  /** Records the probe as running; returns false when another process holds this host. */
  begin(
    hostId: string,
    probeId: string,
    type: ProbeInput['type'],
    startedAt: Date,
    reason: ProbeInput['reason'],
  ): Promise<boolean>;
  /** Facts of successful collectors + the finished probe record, in one transaction. */
  finish(hostId: string, probeId: string, result: ProbeResult): Promise<void>;
  /** Queues metric rows for the next batched insert. */
  queueMetrics(hostId: string, previous: MetricsSample | undefined, current: MetricsSample): void;
  pinHostKey(hostId: string, hostKey: string): Promise<void>;
  recordEvent(hostId: string, type: string, detail: Record<string, unknown>): Promise<void>;
}

export interface ProbeRunnerDeps {
  loadTarget(hostId: string): Promise<ProbeTarget | null>;
  store: ProbeStore;
  /** Overrides of the probe's limits (timeouts, caps). */
  limits?: Parameters<typeof probe>[1]['limits'];
  /**
   * Metrics probes run on this pool's connections, kept open for the host's next probe (the
   * handshake is most of a metrics probe's CPU); facts probes, an hour apart, connect anew.
   * Every connection the pool opens verifies the host key as probe() does.
   */
  pool?: SshConnectionPool;
}

/**
 * What a probe keeps of the host actor's deadline to store its outcome: a probe that ends
 * itself by timeout is logged as `timeout` and lets go of the host before the actor gives up.
 */
const STORE_MARGIN_MS = 1_000;

/** The probe's own deadline: its limit, or less when the host actor gives up sooner. */
function probeTimeoutMs(limit: number, deadlineAt: number | undefined): number {
  if (deadlineAt === undefined) return limit;
  const left = deadlineAt - Date.now();
  return Math.max(1, Math.floor(Math.min(limit, left - Math.min(STORE_MARGIN_MS, left / 4))));
}

/** A partial probe's reason, for the host actor's lastError: which collectors failed, why. */
function collectorFailures(result: ProbeResult): string | undefined {
  const failures = Object.entries(result.collectors)
    .filter(([, c]) => c.status === 'failed' || c.status === 'timeout')
    .map(([name, c]) => `${name} ${c.status}${c.error ? `: ${c.error}` : ''}`);
  return failures.length > 0 ? failures.join('; ') : undefined;
}

export function createProbeRunner(deps: ProbeRunnerDeps) {
  return async (
    input: ProbeInput & { probeId: string; deadlineAt?: number },
    signal: AbortSignal,
  ): Promise<ProbeOutput> => {
    const started = Date.now();
    const failed = (error: string): ProbeOutput => ({
      probeId: input.probeId,
      outcome: 'failed',
      durationMs: Date.now() - started,
      error,
    });
    const host = await deps.loadTarget(input.hostId);
    if (!host) return failed('the host is no longer registered or has no usable credential');
    if (
      !(await deps.store.begin(
        host.hostId,
        input.probeId,
        input.type,
        new Date(started),
        input.reason,
      ))
    ) {
      return failed('another runner is probing this host');
    }
    const result = await probe(host.target, {
      type: input.type,
      sudo: host.sudo,
      disabledCollectors: host.disabledCollectors,
      limits: {
        ...deps.limits,
        probeTimeoutMs: probeTimeoutMs(
          deps.limits?.probeTimeoutMs ?? probeLimits.probeTimeoutMs,
          input.deadlineAt,
        ),
      },
      signal,
      refusal: host.refusal,
      ...(deps.pool && input.type === 'metrics'
        ? { connection: deps.pool.source(host.hostId) }
        : {}),
    });
    if (
      result.hostKey &&
      host.target.knownHostKey === null &&
      host.target.hostKeyPolicy === 'accept-new'
    ) {
      await deps.store.pinHostKey(host.hostId, result.hostKey);
    }
    if (result.errorCode === 'host-key-changed') {
      await deps.store.recordEvent(host.hostId, 'host-key-changed', { error: result.error });
    }
    await deps.store.finish(host.hostId, input.probeId, result);

    const previous = input.previousMetrics as MetricsSample | undefined;
    const sample = result.metrics ? { at: result.finishedAt, metrics: result.metrics } : undefined;
    if (sample) deps.store.queueMetrics(host.hostId, previous, sample);
    const error = result.error ?? collectorFailures(result);
    return {
      probeId: input.probeId,
      outcome: result.outcome,
      durationMs: result.durationMs,
      ...(error ? { error } : {}),
      ...(sample ? { metricsSample: sample } : {}),
    };
  };
}
