// What a host actor is doing, as plain JSON for the API and the console. Times are ISO 8601.

import type {
  HostSnapshot,
  HostStateName,
  ProbeOutcome,
  ProbeReason,
  ProbeType,
} from './host-machine.ts';

export interface HostView {
  hostId: string;
  state: HostStateName;
  unreachable: boolean;
  inFlight: { type: ProbeType; reason: ProbeReason; startedAt: string } | null;
  /** null while paused, and while the running probe is serving that due time. */
  nextFactsDueAt: string | null;
  nextMetricsDueAt: string | null;
  /** Consecutive failures per probe type. */
  failures: { facts: number; metrics: number };
  /** The retry time of a failing type (its next due time), else null. */
  backoffUntil: { facts: string | null; metrics: string | null };
  lastProbe: {
    probeId: string | null;
    type: ProbeType;
    outcome: ProbeOutcome;
    durationMs: number;
    finishedAt: string;
  } | null;
  lastError: string | null;
  lastRefreshAt: string | null;
}

/** The public state name of a snapshot (the machine's transient `dispatch` is never seen). */
export function hostStateName(snapshot: HostSnapshot): HostStateName {
  const value = snapshot.value;
  return value === 'probing' || value === 'backoff' || value === 'paused' ? value : 'idle';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function toHostView(snapshot: HostSnapshot): HostView {
  const { context } = snapshot;
  const state = hostStateName(snapshot);
  const startedAt = context.inFlight?.startedAt ?? null;
  // A due time at or before the running probe's start is being served by that probe.
  const due = (at: number): string | null =>
    state === 'paused' || (startedAt !== null && at <= startedAt) ? null : iso(at);
  const nextFactsDueAt = due(context.dueAt.facts);
  const nextMetricsDueAt = due(context.dueAt.metrics);
  const { lastProbe } = context;
  return {
    hostId: context.hostId,
    state,
    unreachable: context.unreachable,
    inFlight: context.inFlight && {
      type: context.inFlight.type,
      reason: context.inFlight.reason,
      startedAt: iso(context.inFlight.startedAt),
    },
    nextFactsDueAt,
    nextMetricsDueAt,
    failures: { facts: context.failures.facts, metrics: context.failures.metrics },
    backoffUntil: {
      facts: context.failures.facts > 0 ? nextFactsDueAt : null,
      metrics: context.failures.metrics > 0 ? nextMetricsDueAt : null,
    },
    lastProbe: lastProbe && {
      probeId: lastProbe.probeId,
      type: lastProbe.type,
      outcome: lastProbe.outcome,
      durationMs: lastProbe.durationMs,
      finishedAt: iso(lastProbe.finishedAt),
    },
    lastError: context.lastError,
    lastRefreshAt: context.lastRefreshAt === null ? null : iso(context.lastRefreshAt),
  };
}
