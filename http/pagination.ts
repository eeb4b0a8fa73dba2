// Cursor pagination: a list answers { items, nextCursor }; nextCursor is an opaque
// base64url token holding the sort key of the last item, null on the last page.
import { z } from '@hono/zod-openapi';

export const limitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(100)
  .openapi({ description: 'Items per page (1–500)', example: 100 });

export const cursorSchema = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned by this list')
  .optional()
  .openapi({ description: 'The nextCursor of the previous page' });

export const pageQuery = { limit: limitSchema, cursor: cursorSchema };

/** Cursor key parts: epoch milliseconds (always a valid date) and bounded text. */
export const cursorTime = z.number().int().min(0).max(8.64e15);
export const cursorText = z
  .string()
  .max(1024)
  .regex(/^[^\u0000]*$/);

export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key a cursor holds if it has the shape `schema` expects, else null. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** One page from `limit + 1` rows: the extra row only says that another page exists. */
export function page<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => readonly unknown[],
): { items: Item[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return {
    items: shown.map(toItem),
    nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
