// The supervisor keeps one host actor per host that loadHosts returns — in the runner, the
// hosts whose lease this process holds (actors/leases.ts). It is a plain object, not a parent
// machine: host actors run as independent root actors, because XState scans every timer of a
// whole actor system whenever any actor in it stops (each finished probe), which made 10,000
// children ~8× slower than 10,000 roots (DESIGN §8).
//
// It follows the table through `reconcile()` — called on NOTIFY and periodically — and owns
// the probe concurrency limit: a probe queues for a slot before it touches the network.
import { randomUUID } from 'node:crypto';
import { type Actor, createActor, fromPromise } from 'xstate';
import {
  type HostEmitted,
  type HostSettings,
  type HostStateName,
  hostMachine,
  hostSettings,
  type ProbeInput,
  type ProbeOutput,
} from './host-machine.ts';
import { type HostView, hostStateName, toHostView } from './host-view.ts';
import type { ProbeLimiter } from './limiter.ts';
import { checkRefresh, type RefreshDecision } from './refresh-policy.ts';
import { type ActorCounts, countActors } from './service-metrics.ts';

/** What the supervisor needs to know of a host row. */
export interface SupervisedHost {
  id: string;
  enabled: boolean;
  groups: readonly string[];
  /** Per-host overrides (cadences); the rest comes from the fleet defaults. */
  settings: Partial<HostSettings>;
  /** Changes whenever the row changes (e.g. updated_at), so a reconfigure is noticed. */
  version: string;
}

export interface SupervisorDeps {
  loadHosts(): Promise<SupervisedHost[]>;
  /**
   * The real probe: SSH, parse, store. Runs only while holding a limiter slot. `deadlineAt`
   * (epoch ms) is when the host actor gives up on it (settings.probeTimeoutMs after it began).
   */
  runProbe(
    input: ProbeInput & { probeId: string; deadlineAt: number },
    signal: AbortSignal,
  ): Promise<ProbeOutput>;
  limiter: ProbeLimiter;
  defaults?: Partial<HostSettings>;
  now?: () => number;
  random?: () => number;
  onEmitted?(event: HostEmitted): void;
}

export type ProbeRequest =
  | { accepted: true; probeId: string }
  | (
      | Extract<RefreshDecision, { accepted: false }>
      | { accepted: false; reason: 'unknown-host'; retryAfterMs: 0 }
    );

export interface Transition {
  hostId: string;
  view: HostView;
}

type HostActor = Actor<typeof hostMachine>;

interface Entry {
  host: SupervisedHost;
  actor: HostActor;
  lastState: string;
}

export class Supervisor {
  readonly #deps: SupervisorDeps;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(t: Transition) => void>();
  /** Probe ids promised to API callers, used by the next manual probe of that host. */
  readonly #manualProbeIds = new Map<string, string>();
  readonly #machine;
  readonly #defaults: HostSettings;
  #reconciling: Promise<void> | null = null;
  #again = false;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#defaults = hostSettings(deps.defaults);
    this.#machine = hostMachine.provide({
      actors: {
        probe: fromPromise<ProbeOutput, ProbeInput>(async ({ input, signal }) => {
          const entry = this.#entries.get(input.hostId);
          // The actor's probeTimeout timer started with this probe (queueing included).
          const timeoutMs = entry ? this.#settingsFor(entry.host).probeTimeoutMs : 0;
          const deadlineAt = (deps.now ?? Date.now)() + timeoutMs;
          const release = await deps.limiter.acquire(entry?.host.groups ?? [], signal);
          try {
            const manualId =
              input.reason === 'manual' ? this.#manualProbeIds.get(input.hostId) : undefined;
            this.#manualProbeIds.delete(input.hostId);
            const probeId = manualId ?? randomUUID();
            return await deps.runProbe({ ...input, probeId, deadlineAt }, signal);
          } finally {
            release();
          }
        }),
      },
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bring the actors in line with the host table. Concurrent calls coalesce. */
  reconcile(): Promise<void> {
    if (this.#reconciling) {
      this.#again = true;
      return this.#reconciling;
    }
    this.#reconciling = (async () => {
      do {
        this.#again = false;
        this.#apply(await this.#deps.loadHosts());
      } while (this.#again);
    })().finally(() => {
      this.#reconciling = null;
    });
    return this.#reconciling;
  }

  #apply(hosts: SupervisedHost[]): void {
    const seen = new Set<string>();
    for (const host of hosts) {
      seen.add(host.id);
      const entry = this.#entries.get(host.id);
      if (!entry) this.#spawn(host);
      else if (entry.host.version !== host.version) this.#update(entry, host);
    }
    for (const [id, entry] of this.#entries) {
      if (seen.has(id)) continue;
      entry.actor.stop();
      this.#entries.delete(id);
    }
  }

  #spawn(host: SupervisedHost): void {
    const actor = createActor(this.#machine, {
      input: {
        hostId: host.id,
        now: this.#deps.now ?? Date.now,
        random: this.#deps.random ?? Math.random,
        settings: this.#settingsFor(host),
      },
    });
    const entry: Entry = { host, actor, lastState: '' };
    this.#entries.set(host.id, entry);
    actor.subscribe((snapshot) => {
      const state = hostStateName(snapshot);
      if (state === entry.lastState) return;
      entry.lastState = state;
      this.#notify(host.id, actor);
    });
    const forward = (event: HostEmitted) => {
      this.#deps.onEmitted?.(event);
      if (event.type === 'probe.completed') this.#notify(host.id, actor);
    };
    actor.on('probe.completed', forward);
    actor.on('unreachable', forward);
    actor.on('recovered', forward);
    actor.start();
    if (!host.enabled) actor.send({ type: 'PAUSE' });
  }

  #update(entry: Entry, host: SupervisedHost): void {
    const wasEnabled = entry.host.enabled;
    entry.host = host;
    entry.actor.send({ type: 'CONFIGURE', settings: this.#settingsFor(host) });
    if (wasEnabled && !host.enabled) entry.actor.send({ type: 'PAUSE' });
    if (!wasEnabled && host.enabled) entry.actor.send({ type: 'RESUME' });
  }

  #settingsFor(host: SupervisedHost): HostSettings {
    return { ...this.#defaults, ...host.settings };
  }

  #notify(hostId: string, actor: HostActor): void {
    if (this.#listeners.size === 0) return;
    const transition = { hostId, view: toHostView(actor.getSnapshot()) };
    for (const listener of this.#listeners) listener(transition);
  }

  requestProbe(hostId: string): ProbeRequest {
    const entry = this.#entries.get(hostId);
    if (!entry) return { accepted: false, reason: 'unknown-host', retryAfterMs: 0 };
    const now = (this.#deps.now ?? Date.now)();
    const decision = checkRefresh(entry.actor.getSnapshot(), now);
    if (!decision.accepted) return decision;
    const probeId = randomUUID();
    this.#manualProbeIds.set(hostId, probeId);
    entry.actor.send({ type: 'REFRESH' });
    return { accepted: true, probeId };
  }

  /** The state of the host's actor, or null when none runs here (cheaper than view()). */
  state(hostId: string): HostStateName | null {
    const entry = this.#entries.get(hostId);
    return entry ? hostStateName(entry.actor.getSnapshot()) : null;
  }

  view(hostId: string): HostView | null {
    const entry = this.#entries.get(hostId);
    return entry ? toHostView(entry.actor.getSnapshot()) : null;
  }

  views(filter: { state?: string } = {}): HostView[] {
    const views = [...this.#entries.values()].map((e) => toHostView(e.actor.getSnapshot()));
    return filter.state ? views.filter((v) => v.state === filter.state) : views;
  }

  /** Actors per state: what GET /metrics reads each scrape, without building every view. */
  actorCounts(): ActorCounts {
    const counts = countActors([]);
    for (const { actor } of this.#entries.values()) {
      const snapshot = actor.getSnapshot();
      counts.byState[hostStateName(snapshot)]++;
      if (snapshot.context.unreachable) counts.unreachable++;
    }
    return counts;
  }

  /** Every state change of every actor; returns the unsubscribe function. */
  subscribe(listener: (t: Transition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every actor; in-flight probes see their AbortSignal fire. */
  stop(): void {
    for (const entry of this.#entries.values()) entry.actor.stop();
    this.#entries.clear();
    this.#listeners.clear();
  }
}
