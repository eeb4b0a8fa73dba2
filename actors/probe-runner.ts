// The real `probe` actor behind every host actor: load the host's current row, probe it over
// SSH, pin a first-contact host key, and store the outcome — facts and the probe record in one
// transaction, metrics into the cross-host batch. Host problems never throw from here: they
// are the probe's outcome, which the host machine turns into backoff.
import { type ProbeResult, probe } from '../collectors/probe.ts';
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
}

export function createProbeRunner(deps: ProbeRunnerDeps) {
  return async (
    input: ProbeInput & { probeId: string },
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
      limits: deps.limits,
      signal,
      refusal: host.refusal,
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
    return {
      probeId: input.probeId,
      outcome: result.outcome,
      durationMs: result.durationMs,
      ...(result.error ? { error: result.error } : {}),
      ...(sample ? { metricsSample: sample } : {}),
    };
  };
}
