// The label/group filter every fleet list takes (the same syntax as GET /v1/hosts), and
// the page helpers for lists that are cut in memory after a per-row test (version filters).
import { z } from '@hono/zod-openapi';
import type { HostFilter } from '../../sql/hosts.ts';
import { many, splitLabel } from '../hosts/hosts.schemas.ts';
import { cursorText, decodeCursor, page } from '../pagination.ts';

export { listHostsQuery as hostFilterQuery } from '../hosts/hosts.schemas.ts';

export function toHostFilter(query: {
  label?: string | string[] | undefined;
  group?: string | string[] | undefined;
}): HostFilter {
  return { labels: many(query.label).map(splitLabel), groups: many(query.group) };
}

/** Rows sorted by (host name, host id, fact key): the order fleet host lists answer in. */
export interface HostKeyed {
  hostId: string;
  hostName: string;
  key: string;
}

const hostKeyCursor = z.tuple([cursorText, z.uuid(), cursorText]);

const compareKeys = (a: readonly string[], b: readonly string[]): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

const keyOf = (r: HostKeyed) => [r.hostName, r.hostId, r.key] as const;

/** The [host name, host id, key] a cursor of these lists holds; null when it is not one. */
export function decodeHostKeyCursor(cursor: string): [string, string, string] | null {
  return decodeCursor(cursor, hostKeyCursor);
}

/**
 * A page of rows after the cursor; null when the cursor is not one of these lists'. Rows are
 * sorted here (code-point order) so the keyset is exact whatever order they came in.
 */
export function hostKeyedPage<R extends HostKeyed, I>(
  rows: readonly R[],
  cursor: string | undefined,
  limit: number,
  toItem: (row: R) => I,
): { items: I[]; nextCursor: string | null } | null {
  const after = cursor ? decodeCursor(cursor, hostKeyCursor) : undefined;
  if (after === null) return null;
  const sorted = [...rows].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const rest = after ? sorted.filter((r) => compareKeys(keyOf(r), after) > 0) : sorted;
  return page(rest.slice(0, limit + 1), limit, toItem, keyOf);
}
