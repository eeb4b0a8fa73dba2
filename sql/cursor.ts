// Opaque cursors for keyset pagination. A cursor names the last row of a page by its sort key,
// (timestamp, unique id), so the next page starts strictly after it: rows sharing one
// timestamp are never skipped or repeated at a page boundary, whatever the page size.
// The timestamp travels as PostgreSQL text with microseconds (a JS Date has milliseconds).

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface TimeKey {
  /** ISO 8601 in UTC with microseconds, as produced by the `cursorTime` SQL expression. */
  readonly at: string;
  readonly id: string;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export const cursorIds = {
  bigint: /^\d{1,19}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
} as const;

/** `scope` keeps a cursor of one listing from being replayed against another. */
export function encodeCursor(scope: string, key: TimeKey): string {
  return Buffer.from(JSON.stringify([scope, key.at, key.id])).toString('base64url');
}

export function decodeCursor(scope: string, cursor: string, id: RegExp): TimeKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('the cursor is not one this listing returned');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== scope ||
    typeof parsed[1] !== 'string' ||
    !TIME.test(parsed[1]) ||
    typeof parsed[2] !== 'string' ||
    !id.test(parsed[2])
  ) {
    throw new InvalidCursorError('the cursor is not one this listing returned');
  }
  return { at: parsed[1], id: parsed[2] };
}

export const PAGE_LIMITS = { default: 100, max: 1000 } as const;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return PAGE_LIMITS.default;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError('limit must be a positive integer');
  return Math.min(limit, PAGE_LIMITS.max);
}

/** Cut the limit+1 rows a query fetched into a page and the cursor after its last item. */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  scope: string,
  keyOf: (row: R) => TimeKey,
  item: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    items: kept.map(item),
    nextCursor: more && last !== undefined ? encodeCursor(scope, keyOf(last)) : null,
  };
}
