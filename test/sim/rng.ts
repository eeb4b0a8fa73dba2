// Seeded randomness for the simulator: every host's variation and every drift step derives
// from (fleet seed, host index, purpose), so a fleet started twice with one seed is the same.
import { createHash } from 'node:crypto';

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `count` distinct indexes in [0, size), in increasing order. */
  sample(size: number, count: number): number[];
  bytes(length: number): Buffer;
};

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
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    sample: (size, count) => {
      const chosen = new Set<number>();
      const wanted = Math.min(count, size);
      while (chosen.size < wanted) chosen.add(int(0, size - 1));
      return [...chosen].sort((x, y) => x - y);
    },
    bytes: (length) => {
      const out = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}
