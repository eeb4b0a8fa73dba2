import { describe, expect, it } from 'vitest';
import { ProbeLimiter } from '../../../actors/limiter.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ProbeLimiter', () => {
  it('never grants more than the global limit and serves waiters in order', async () => {
    const limiter = new ProbeLimiter({ global: 2, perGroup: 10 });
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire([]), limiter.acquire([])]);
    const waiting = [3, 4, 5].map((n) =>
      limiter.acquire([]).then((release) => {
        order.push(n);
        return release;
      }),
    );
    await tick();
    expect(limiter.stats()).toMatchObject({ active: 2, queued: 3 });
    releases[0]?.();
    releases[0]?.(); // a second release of the same slot is ignored
    await tick();
    expect(order).toEqual([3]);
    expect(limiter.stats()).toMatchObject({ active: 2, queued: 2, maxActive: 2 });
    releases[1]?.();
    await tick();
    for (const next of waiting) (await next)(); // each release lets the next one in
    expect(order).toEqual([3, 4, 5]);
    expect(limiter.stats()).toEqual({ active: 0, queued: 0, maxActive: 2 });
  });

  it('limits each group without blocking other groups behind it', async () => {
    const limiter = new ProbeLimiter({ global: 10, perGroup: 1 });
    const a1 = await limiter.acquire(['hv-a']);
    let a2Granted = false;
    const a2 = limiter.acquire(['hv-a']).then((release) => {
      a2Granted = true;
      return release;
    });
    const b1 = await limiter.acquire(['hv-b']); // not stuck behind the queued hv-a probe
    expect(a2Granted).toBe(false);
    a1();
    (await a2)();
    b1();
    expect(a2Granted).toBe(true);
  });

  it('drops a waiter whose signal aborts', async () => {
    const limiter = new ProbeLimiter({ global: 1, perGroup: 1 });
    const held = await limiter.acquire([]);
    const controller = new AbortController();
    const waiting = limiter.acquire([], controller.signal);
    controller.abort(new Error('timeout'));
    await expect(waiting).rejects.toThrow('timeout');
    expect(limiter.stats().queued).toBe(0);
    held();
  });
});
