// A host actor's view (actors/host-view.ts) as the console reads it. HostControl hands views
// over as `unknown` (http/ never imports the actors' types), so each field is checked here.

export const consoleStates = ['idle', 'probing', 'backoff', 'paused'] as const;
export type ConsoleState = (typeof consoleStates)[number];

export interface ActorView {
  hostId: string;
  state: ConsoleState;
  unreachable: boolean;
  nextFactsDueAt: string | null;
  nextMetricsDueAt: string | null;
  failures: { facts: number; metrics: number };
  lastProbe: { type: string; outcome: string; durationMs: number; finishedAt: string } | null;
  lastError: string | null;
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);
const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function toActorView(value: unknown): ActorView | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const state = consoleStates.find((s) => s === v.state);
  const hostId = text(v.hostId);
  if (!state || !hostId) return null;
  const failures = (v.failures ?? {}) as Record<string, unknown>;
  const last = v.lastProbe as Record<string, unknown> | null | undefined;
  return {
    hostId,
    state,
    unreachable: v.unreachable === true,
    nextFactsDueAt: text(v.nextFactsDueAt),
    nextMetricsDueAt: text(v.nextMetricsDueAt),
    failures: { facts: count(failures.facts), metrics: count(failures.metrics) },
    lastProbe:
      last && typeof last === 'object'
        ? {
            type: text(last.type) ?? '',
            outcome: text(last.outcome) ?? '',
            durationMs: count(last.durationMs),
            finishedAt: text(last.finishedAt) ?? '',
          }
        : null,
    lastError: text(v.lastError),
  };
}

/** The filter values of the fleet page's state select. */
export const stateFilters = [...consoleStates, 'unreachable', 'no-actor'] as const;
export type StateFilter = (typeof stateFilters)[number];

export function matchesState(view: ActorView | null, filter: StateFilter): boolean {
  if (filter === 'no-actor') return view === null;
  if (filter === 'unreachable') return view?.unreachable === true;
  return view?.state === filter;
}
