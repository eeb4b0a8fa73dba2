// What the HTTP layer may ask of the probe actors. The actors layer implements it; the API
// never touches a machine directly (DESIGN §2).
//
// With several processes (`serve --role api|runner|all`), a host's actor runs in the runner
// process that holds its lease. A probe request reaches it wherever it runs
// (withRemoteProbes); actor views and transitions are those of this process's actors only —
// an API-only process has none, and answers 404 no-actor / an empty list for them.

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

/** Asks the runner process holding the host's lease (cli/serve.ts binds sql/runners.ts). */
export type RemoteProbeRequest = (hostId: string) => Promise<ProbeRequestResult>;

/**
 * This process's actors first; a host none of them runs is asked of the runner that holds
 * its lease, in whichever process that is.
 */
export function withRemoteProbes(local: HostControl, remote: RemoteProbeRequest): HostControl {
  return {
    async requestProbe(hostId) {
      const answer = await local.requestProbe(hostId);
      if (answer.accepted || answer.reason !== 'unknown-host') return answer;
      return remote(hostId);
    },
    actorView: (hostId) => local.actorView(hostId),
    actorViews: (filter) => local.actorViews(filter),
    subscribe: (listener) => local.subscribe(listener),
  };
}
