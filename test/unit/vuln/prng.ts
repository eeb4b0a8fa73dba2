// A small seeded PRNG (mulberry32) so that the random corpora are the same on every run: a
// mismatch found once is found again, with the same pair.

import { type Rng, rngFrom } from '../../support/rng.ts';

export type { Rng };

export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return rngFrom(() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  });
}
