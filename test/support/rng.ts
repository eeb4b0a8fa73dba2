// The helpers every seeded generator in the tests offers, on top of its own next().
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

export function rngFrom(next: () => number): Rng {
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

/** mulberry32: the same draws on every run, so that a failure found once is found again. */
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
