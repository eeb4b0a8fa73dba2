// Host output is untrusted: identifiers (package, user, unit, interface names) must be
// printable and short; free text is capped. Anything else is a ParseError, never stored.
import { ParseError } from './errors.ts';

export const MAX_IDENTIFIER = 256;
export const MAX_TEXT = 4096;

// C0 controls, DEL and C1 controls, plus the replacement char left by invalid UTF-8.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]/;

/** A name used as (part of) a fact key. */
export function identifier(value: string, field: string): string {
  if (value.length === 0) throw new ParseError(`${field} is empty`);
  if (value.length > MAX_IDENTIFIER) {
    throw new ParseError(`${field} is longer than ${MAX_IDENTIFIER} characters`);
  }
  if (CONTROL.test(value)) throw new ParseError(`${field} contains control characters`);
  return value;
}

/** Free text (descriptions, rule text): control characters replaced, length capped. */
export function text(value: string): string {
  const clean = value.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
  return clean.length > MAX_TEXT ? clean.slice(0, MAX_TEXT) : clean;
}

/** A non-negative integer field; throws on anything else. */
export function count(value: string | undefined, field: string): number {
  if (value === undefined || !/^\d{1,19}$/.test(value)) {
    throw new ParseError(
      `${field} is not a non-negative integer: ${JSON.stringify(value?.slice(0, 40))}`,
    );
  }
  return Number(value);
}
