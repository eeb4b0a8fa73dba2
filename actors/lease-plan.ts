// The pure side of leasing (actors/leases.ts runs it): the lease timings, and how many hosts a
// runner claims or gives up on a heartbeat so that every live runner ends up with a fair share
// and each host moves at most once when runners come and go.
import type { Beat, HeldLease } from '../sql/leases.ts';

export interface LeasePolicy {
  ttlMs: number;
  heartbeatMs: number;
  /** A runner releases only when it holds more than share + slack (hysteresis). */
  slack: number;
  /** At most this part of the share is released per heartbeat (at least one host). */
  releaseFraction: number;
  /** Fence (stop every actor) when nothing was renewed for this part of the TTL. */
  fenceRatio: number;
  /** Wake-ups closer together than this are merged. */
  minGapMs: number;
}

export function leasePolicy(ttlMs: number, overrides: Partial<LeasePolicy> = {}): LeasePolicy {
  if (!(Number.isFinite(ttlMs) && ttlMs >= 1_000)) throw new RangeError('lease TTL must be >= 1 s');
  return {
    ttlMs,
    heartbeatMs: Math.round(ttlMs / 3),
    slack: 1,
    releaseFraction: 0.25,
    fenceRatio: 0.9,
    minGapMs: Math.min(250, Math.round(ttlMs / 12)),
    ...overrides,
  };
}

/** Hosts each live runner should hold: ceil(total / live runners). */
export function fairShare(total: number, liveRunners: number): number {
  return Math.ceil(Math.max(0, total) / Math.max(1, liveRunners));
}

export interface ClassPlan {
  claim: number;
  release: number;
}

/**
 * One class of hosts (enabled, or disabled): below the share, claim the difference; above
 * share + slack, release down to floor(total / runners), at most releaseFraction × share at
 * once — the floor, so that a runner that joined last is not left the remainder. A runner
 * above the share releases and one below it claims; the hysteresis keeps one that released
 * from releasing again, so each host moves at most once per change in the runner count.
 */
export function planClass(
  held: number,
  total: number,
  liveRunners: number,
  policy: Pick<LeasePolicy, 'slack' | 'releaseFraction'>,
  allowRelease: boolean,
): ClassPlan {
  const share = fairShare(total, liveRunners);
  if (held < share) return { claim: share - held, release: 0 };
  if (!allowRelease || held <= share + policy.slack) return { claim: 0, release: 0 };
  const floor = Math.floor(Math.max(0, total) / Math.max(1, liveRunners));
  const step = Math.max(1, Math.ceil(share * policy.releaseFraction));
  return { claim: 0, release: Math.min(held - floor, step) };
}

export interface LeasePlan {
  claim: { enabled: number; disabled: number };
  release: { enabled: number; disabled: number };
  share: number;
}

/**
 * Enabled hosts are what costs (their probes), so they are shared out fairly; disabled hosts
 * are shared the same way, apart, so that no runner hoards them and re-enabling one lands on
 * an owner at once.
 */
export function planLeases(
  beat: Pick<Beat, 'held' | 'liveRunners' | 'hosts'>,
  policy: Pick<LeasePolicy, 'slack' | 'releaseFraction'>,
  allowRelease: boolean,
): LeasePlan {
  const heldEnabled = beat.held.filter((l) => l.enabled).length;
  const on = planClass(heldEnabled, beat.hosts.enabled, beat.liveRunners, policy, allowRelease);
  const off = planClass(
    beat.held.length - heldEnabled,
    beat.hosts.disabled,
    beat.liveRunners,
    policy,
    allowRelease,
  );
  return {
    claim: { enabled: on.claim, disabled: off.claim },
    release: { enabled: on.release, disabled: off.release },
    share: fairShare(beat.hosts.enabled, beat.liveRunners),
  };
}

/**
 * The hosts to give up: never one whose probe is running (its actor would be stopped mid-probe),
 * taken from the end of the id order so that repeated releases are predictable.
 */
export function pickReleases(
  held: readonly HeldLease[],
  release: { enabled: number; disabled: number },
  busy: (hostId: string) => boolean,
): string[] {
  const picked: string[] = [];
  const sorted = [...held].sort((a, b) => (a.hostId < b.hostId ? 1 : a.hostId > b.hostId ? -1 : 0));
  const wanted = { ...release };
  for (const lease of sorted) {
    const key = lease.enabled ? 'enabled' : 'disabled';
    if (wanted[key] <= 0 || busy(lease.hostId)) continue;
    picked.push(lease.hostId);
    wanted[key]--;
  }
  return picked;
}
