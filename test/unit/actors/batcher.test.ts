import { describe, expect, it } from 'vitest';
import { Batcher, PartialWriteError } from '../../../actors/batcher.ts';

describe('Batcher', () => {
  it('writes items from many adds in one batch and keeps them when a write fails', async () => {
    const writes: number[][] = [];
    let fail = true;
    const batcher = new Batcher<number>(
      async (items) => {
        if (fail) throw new Error('database down');
        writes.push(items);
      },
      { intervalMs: 60_000, maxItems: 100 },
    );
    batcher.add([1, 2]);
    batcher.add([3]);
    await batcher.flush();
    expect(batcher.stats()).toMatchObject({ pending: 3, failures: 1, lastError: 'database down' });
    fail = false;
    batcher.add([4]);
    await batcher.close();
    expect(writes).toEqual([[1, 2, 3, 4]]);
    expect(batcher.stats()).toMatchObject({ pending: 0, written: 4 });
  });

  it('bounds what it holds while the database is down', async () => {
    const batcher = new Batcher<number>(async () => Promise.reject(new Error('down')), {
      intervalMs: 60_000,
      maxItems: 10,
    });
    for (let i = 0; i < 100; i++) batcher.add([i]);
    await batcher.flush();
    const stats = batcher.stats();
    expect(stats.pending).toBeLessThanOrEqual(40);
    expect(stats.dropped + stats.pending).toBe(100);
    await batcher.close();
  });

  it('retries only what a partly failed write left, never what it stored', async () => {
    const stored: string[] = [];
    let calls = 0;
    const batcher = new Batcher<string>(
      async (items) => {
        calls++;
        if (calls === 1) {
          stored.push(...items.filter((i) => i.startsWith('a')));
          throw new PartialWriteError(
            'b rows failed',
            items.filter((i) => i.startsWith('b')),
          );
        }
        stored.push(...items);
      },
      { intervalMs: 60_000, maxItems: 100 },
    );
    batcher.add(['a1', 'b1', 'a2', 'b2']);
    await batcher.flush();
    expect(batcher.stats()).toMatchObject({ pending: 2, failures: 1, lastError: 'b rows failed' });
    batcher.add(['a3']);
    await batcher.close();
    expect(stored).toEqual(['a1', 'a2', 'b1', 'b2', 'a3']);
  });
});
