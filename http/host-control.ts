// What the HTTP layer may ask of the probe actors. The actors layer implements it; the API
// never touches a machine directly (DESIGN §2).

export type ProbeRefusal = 'in-flight' | 'debounce' | 'paused' | 'unknown-host';

export type ProbeRequestResult =
  | { accepted: true; probeId: string }
  | { accepted: false; reason: ProbeRefusal; retryAfterMs: number };

/** One actor changing state; `view` is the actor's public view (actors/host-view.ts). */
export interface ActorTransition {
  hostId: string;
  view: unknown;
}

export interface HostControl {
  /** Asks the host's actor for a manual probe now. */
  requestProbe(hostId: string): ProbeRequestResult | Promise<ProbeRequestResult>;
  /** The actor's view, or null when no actor runs for this host here. */
  actorView(hostId: string): unknown | null;
  actorViews(filter: { state?: string | undefined }): unknown[];
  /** Calls `listener` on every transition until the returned function is called. */
  subscribe(listener: (transition: ActorTransition) => void): () => void;
}

/** A control with no actors behind it: for an API without a runner, and for tests. */
export function createNullControl(): HostControl {
  return {
    requestProbe: () => ({ accepted: false, reason: 'unknown-host', retryAfterMs: 0 }),
    actorView: () => null,
    actorViews: () => [],
    subscribe: () => () => {},
  };
}
