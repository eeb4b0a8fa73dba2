import { describe, expect, it } from 'vitest';
import {
  backoffCeiling,
  backoffDelay,
  catchUp,
  jitteredInterval,
  MAX_TIMER_MS,
  spreadDelay,
  timerDelay,
} from '../../../actors/schedule.ts';

/** mulberry32: a small seeded PRNG, so every run replays the same draws. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policy = { baseMs: 30_000, capMs: 3_600_000, floorMs: 1_000 };

describe('jitteredInterval', () => {
  it('stays within ±10 % and uses the whole range over many seeds', () => {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      for (let i = 0; i < 50; i++) {
        const value = jitteredInterval(60_000, 0.1, random);
        expect(value).toBeGreaterThanOrEqual(54_000);
        expect(value).toBeLessThan(66_000);
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
    }
    // 10,000 uniform draws: both ends of the band are reached to within 0.5 %.
    expect(min).toBeLessThan(54_300);
    expect(max).toBeGreaterThan(65_700);
  });

  it('maps the ends of random() to the ends of the band', () => {
    expect(jitteredInterval(3_600_000, 0.1, () => 0)).toBe(3_240_000);
    expect(jitteredInterval(3_600_000, 0.1, () => 0.5)).toBe(3_600_000);
    expect(jitteredInterval(3_600_000, 0, () => 0.9)).toBe(3_600_000);
  });
});

describe('backoff', () => {
  it('doubles from 30 s and caps at 1 h for attempts 1..10', () => {
    const ceilings = Array.from({ length: 10 }, (_, i) => backoffCeiling(i + 1, policy) / 1000);
    expect(ceilings).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('draws full jitter in [floor, ceiling] for attempts 1..10 over many seeds', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = backoffCeiling(attempt, policy);
      let max = 0;
      let belowHalf = 0;
      for (let seed = 1; seed <= 500; seed++) {
        const delay = backoffDelay(attempt, policy, seeded(seed * 31 + attempt));
        expect(delay).toBeGreaterThanOrEqual(1_000);
        expect(delay).toBeLessThanOrEqual(ceiling);
        max = Math.max(max, delay);
        if (delay < ceiling / 2) belowHalf++;
      }
      // Full jitter: the draws cover the range, not just its top.
      expect(max).toBeGreaterThan(ceiling * 0.95);
      expect(belowHalf).toBeGreaterThan(150);
      expect(belowHalf).toBeLessThan(350);
    }
  });

  it('never goes below the floor, even when random() is 0', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(1_000);
    expect(backoffDelay(1, policy, () => 0.01)).toBe(1_000);
    expect(backoffDelay(1, policy, () => 0.5)).toBe(15_000);
  });

  it('stays finite and capped for absurd attempt counts', () => {
    expect(backoffCeiling(10_000, policy)).toBe(3_600_000);
    expect(backoffDelay(10_000, policy, () => 0.999)).toBeCloseTo(3_596_400, 6);
    expect(backoffCeiling(0, policy)).toBe(30_000);
  });
});

describe('spread and catch-up', () => {
  it('spreads over [0, min(interval, spread))', () => {
    const random = seeded(7);
    for (let i = 0; i < 1000; i++) {
      const wide = spreadDelay(3_600_000, 300_000, random);
      expect(wide).toBeGreaterThanOrEqual(0);
      expect(wide).toBeLessThan(300_000);
      const narrow = spreadDelay(60_000, 300_000, random);
      expect(narrow).toBeLessThan(60_000);
    }
  });

  it('keeps a future due time and spreads a past one', () => {
    expect(catchUp(5_000, 1_000, 60_000, 300_000, () => 0.5)).toBe(5_000);
    expect(catchUp(1_000, 1_000, 60_000, 300_000, () => 0.5)).toBe(1_000);
    expect(catchUp(500, 1_000, 60_000, 300_000, () => 0.5)).toBe(31_000);
  });

  it('clamps timer delays to what setTimeout can hold', () => {
    expect(timerDelay(1_000, 5_000)).toBe(0);
    expect(timerDelay(5_000, 1_000)).toBe(4_000);
    expect(timerDelay(Number.MAX_SAFE_INTEGER, 0)).toBe(MAX_TIMER_MS);
  });
});
