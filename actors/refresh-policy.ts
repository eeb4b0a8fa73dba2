// Whether a manual refresh would be taken. `actor.send` cannot answer, so the caller asks
// checkRefresh first; the machine's `refreshAllowed` guard applies the same debounce rule,
// so a REFRESH sent anyway is ignored, never a second probe.

import type { HostContext, HostSnapshot } from './host-machine.ts';
import { hostStateName } from './host-view.ts';

export type RefreshDecision =
  | { accepted: true }
  | {
      accepted: false;
      reason: 'in-flight' | 'debounce' | 'paused';
      /**
       * in-flight: until the running probe's timeout at the latest (usually far sooner),
       * or until the debounce window ends if that is later. debounce: until it ends.
       * paused: 0 — no time helps, the host must be resumed first.
       */
      retryAfterMs: number;
    };

/** Milliseconds left in the debounce window that follows the last accepted refresh. */
export function debounceRemainingMs(
  context: Pick<HostContext, 'lastRefreshAt' | 'settings'>,
  now: number,
): number {
  if (context.lastRefreshAt === null) return 0;
  return Math.max(0, context.lastRefreshAt + context.settings.refreshDebounceMs - now);
}

/** Accepted in idle and backoff outside the debounce window; refused otherwise. */
export function checkRefresh(snapshot: HostSnapshot, now: number): RefreshDecision {
  const { context } = snapshot;
  const debounce = debounceRemainingMs(context, now);
  switch (hostStateName(snapshot)) {
    case 'paused':
      return { accepted: false, reason: 'paused', retryAfterMs: 0 };
    case 'probing': {
      const deadline = (context.inFlight?.startedAt ?? now) + context.settings.probeTimeoutMs;
      return {
        accepted: false,
        reason: 'in-flight',
        retryAfterMs: Math.max(deadline - now, debounce, 0),
      };
    }
    default:
      return debounce > 0
        ? { accepted: false, reason: 'debounce', retryAfterMs: debounce }
        : { accepted: true };
  }
}
