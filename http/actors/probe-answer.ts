// How a HostControl answer to "probe now" becomes an HTTP answer.
import type { ProbeRequestResult } from '../host-control.ts';
import type { ProblemKind } from '../problem.ts';

export type ProbeAnswer =
  | { status: 202; probeId: string }
  | { status: 404 | 409 | 429; kind: ProblemKind; detail: string; retryAfterS?: number };

export function probeAnswer(result: ProbeRequestResult): ProbeAnswer {
  if (result.accepted) return { status: 202, probeId: result.probeId };
  // Retry-After is whole seconds, and "0" would invite an immediate, refused retry.
  const retryAfterS = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  switch (result.reason) {
    case 'in-flight':
      return {
        status: 409,
        kind: 'probe-in-flight',
        detail: 'a probe of this host is running; it will be reported when it ends',
        retryAfterS,
      };
    case 'debounce':
      return {
        status: 429,
        kind: 'probe-debounced',
        detail: 'a probe was requested moments ago',
        retryAfterS,
      };
    case 'paused':
      return { status: 409, kind: 'host-paused', detail: 'the host is paused or disabled' };
    case 'unknown-host':
      return {
        status: 404,
        kind: 'no-actor',
        detail: 'no probe actor runs for this host (no runner has picked it up yet)',
      };
  }
}
