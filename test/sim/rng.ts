// Seeded randomness for the simulator: every host's variation and every drift step derives
// from (fleet seed, host index, purpose), so a fleet started twice with one seed is the same.
import { createHash } from 'node:crypto';

import { type Rng, rngFrom } from '../support/rng.ts';

export type { Rng };

/** 32 bytes that depend only on the parts (fleet seed, host index, purpose…). */
export function seedBytes(...parts: readonly (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** sfc32 seeded from a hash of the parts: fast, and good enough for test variation. */
export function rngFor(...parts: readonly (string | number)[]): Rng {
  const seed = seedBytes(...parts);
  let a = seed.readUInt32LE(0);
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  return rngFrom(() => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  });
}
