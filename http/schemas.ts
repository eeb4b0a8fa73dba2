// Schemas shared by several routes.
import { z } from '@hono/zod-openapi';

export const uuidSchema = z.uuid().openapi({ example: '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71' });

export const idParams = z.object({
  id: uuidSchema.openapi({ param: { name: 'id', in: 'path' } }),
});

// No control characters anywhere: PostgreSQL rejects NUL in text, and terminals and logs
// should never receive the others from an API client.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

/** Printable text of 1..max characters without leading or trailing whitespace. */
export function textSchema(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(NO_CONTROL, 'must not contain control characters')
    .refine((s) => s.trim() === s, 'must not start or end with whitespace')
    .refine(wellFormed, 'must be well-formed Unicode (no lone surrogates)');
}

/** No lone UTF-16 surrogates: PostgreSQL's jsonb refuses them, and they are never text. */
export function wellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

export const timestampSchema = z.iso.datetime({ offset: true });

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}
