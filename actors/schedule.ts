// Pure cadence, jitter and backoff arithmetic for the host actor. Every function takes its
// randomness as `random()` in [0, 1) so tests can replay a schedule from a seed.

/**
 * Node clamps a timer longer than 2^31-1 ms to 1 ms (with a warning), which would turn a
 * long cadence into a hot loop. Callers wait at most this long and re-check the due time.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Attempts beyond this no longer change the (capped) ceiling; also keeps 2^n finite. */
const MAX_BACKOFF_EXPONENT = 40;

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  floorMs: number;
}

/**
 * A cadence interval with ±`ratio` uniform jitter: interval·(1 − ratio + 2·ratio·r), so a
 * fleet started together drifts apart instead of probing in lockstep.
 */
export function jitteredInterval(intervalMs: number, ratio: number, random: () => number): number {
  return intervalMs * (1 - ratio + 2 * ratio * random());
}

/** The full-jitter ceiling for the n-th consecutive failure (n ≥ 1): min(cap, base·2^(n−1)) */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, MAX_BACKOFF_EXPONENT);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * Exponential backoff with full jitter (uniform in [0, ceiling)), raised to `floorMs`.
 * Full jitter alone can draw ~0 ms; the floor keeps a dead host from being retried in a
 * tight loop (with the default 1 s floor, at most one attempt per second per host).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  return Math.max(policy.floorMs, random() * backoffCeiling(attempt, policy));
}

/**
 * A delay spread uniformly over [0, min(intervalMs, spreadMs)). Used for a fresh actor's
 * first probe and for catching up after pause/reconfigure, so that thousands of actors
 * created (or resumed) in the same tick do not all fire at once.
 */
export function spreadDelay(intervalMs: number, spreadMs: number, random: () => number): number {
  return random() * Math.min(intervalMs, spreadMs);
}

/** Keeps a future due time; a past one is moved to now + a spread delay. */
export function catchUp(
  dueAt: number,
  now: number,
  intervalMs: number,
  spreadMs: number,
  random: () => number,
): number {
  return dueAt >= now ? dueAt : now + spreadDelay(intervalMs, spreadMs, random);
}

/** How long a timer should wait for `dueAt`, clamped to what setTimeout can express. */
export function timerDelay(dueAt: number, now: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, dueAt - now));
}
