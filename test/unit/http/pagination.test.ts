import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import {
  cursorText,
  cursorTime,
  decodeCursor,
  encodeCursor,
  page,
} from '../../../http/pagination.ts';

const hostKey = z.tuple([cursorText, z.uuid()]);

describe('cursors', () => {
  it('round-trip an opaque base64url key', () => {
    const key = ['web-1 ünïcode', '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71'] as const;
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, hostKey)).toEqual(key);
  });

  it('answer null for anything this list did not hand out', () => {
    const wrong = [
      'not base64 at all!',
      encodeCursor(['a']),
      encodeCursor(['a', 'not-a-uuid']),
      encodeCursor(['a\u0000b', '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71']),
      Buffer.from('{"a":').toString('base64url'),
      '',
    ];
    for (const cursor of wrong) expect(decodeCursor(cursor, hostKey), cursor).toBeNull();
    expect(decodeCursor(encodeCursor([1e300]), z.tuple([cursorTime]))).toBeNull();
    expect(decodeCursor(encodeCursor([-1]), z.tuple([cursorTime]))).toBeNull();
  });
});

describe('page', () => {
  const rows = [1, 2, 3, 4, 5].map((n) => ({ n }));

  it('shows `limit` rows and a cursor of the last shown when one more row came back', () => {
    const result = page(
      rows.slice(0, 3),
      2,
      (r) => r.n * 10,
      (r) => [r.n],
    );
    expect(result.items).toEqual([10, 20]);
    expect(decodeCursor(result.nextCursor ?? '', z.tuple([z.number()]))).toEqual([2]);
  });

  it('has no next cursor on the last page', () => {
    expect(
      page(
        rows.slice(0, 2),
        2,
        (r) => r.n,
        (r) => [r.n],
      ),
    ).toEqual({
      items: [1, 2],
      nextCursor: null,
    });
    expect(
      page(
        [],
        2,
        (r: { n: number }) => r.n,
        (r) => [r.n],
      ),
    ).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});
