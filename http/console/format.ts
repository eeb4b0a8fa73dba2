// Text for the console's cells: times in UTC, sizes, durations and fact values. Pure, so the
// same output can be tested; the browser script formats live updates the same way.

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-03-01 10:00:00Z": sortable, unambiguous, the same for every viewer. */
export function utc(date: Date | string | null): string {
  if (date === null) return '—';
  const d = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(d.getTime())) return '—';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`
  );
}

/** "12 s ago", "in 4 min": how far `at` is from `now`. */
export function relative(at: Date | string | null, now: number): string {
  if (at === null) return '—';
  const ms = (typeof at === 'string' ? new Date(at) : at).getTime();
  if (Number.isNaN(ms)) return '—';
  const delta = Math.round((ms - now) / 1000);
  const span = Math.abs(delta);
  const text =
    span < 60
      ? `${span} s`
      : span < 3600
        ? `${Math.floor(span / 60)} min`
        : span < 172_800
          ? `${Math.floor(span / 3600)} h`
          : `${Math.floor(span / 86_400)} d`;
  if (span < 1) return 'now';
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB". */
export function bytes(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const digits = unit === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${value < 0 ? '-' : ''}${Number(v.toFixed(digits))} ${UNITS[unit]}`;
}

/** 37 → "37 ms", 1600 → "1.6 s", 125000 → "2 min 5 s". */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** A number with at most `digits` decimals and no trailing zeros. */
export function num(value: number | null, digits = 2): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return String(Number(value.toFixed(digits)));
}

const MAX_CELL = 240;

/** One field of a fact as a table cell: scalars as they are, lists joined, objects as JSON. */
export function cellText(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '—';
  else if (typeof value === 'string') text = value === '' ? '""' : value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    text = value.length === 0 ? '[]' : value.map((v) => String(v)).join(', ');
  } else if (
    isRecord(value) &&
    Object.values(value).every((v) => v === null || typeof v !== 'object')
  ) {
    // A small record such as a package's source: "name: openssl, version: 3.0.19-1".
    text = Object.entries(value)
      .map(([k, v]) => `${k}: ${v === null ? '—' : String(v)}`)
      .join(', ');
  } else text = JSON.stringify(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

// Fields that identify a fact come first; the database hands jsonb keys back in its own
// order (shortest first), which puts "evr" before "name".
const LEADING = ['name', 'evr', 'version', 'arch', 'protocol', 'address', 'port'];

/** The top-level fields of a set of fact values: identifying ones first, at most `max`. */
export function valueColumns(values: readonly unknown[], max = 10): string[] {
  const seen: string[] = [];
  for (const value of values.slice(0, 200)) {
    if (!isRecord(value)) continue;
    for (const key of Object.keys(value)) if (!seen.includes(key)) seen.push(key);
  }
  const leading = LEADING.filter((k) => seen.includes(k));
  return [...leading, ...seen.filter((k) => !leading.includes(k))].slice(0, max);
}

/** The fields whose values differ between two versions of a fact, as "field: a → b". */
export function changedFields(before: unknown, after: unknown, max = 6): string[] {
  const a = isRecord(before) ? before : {};
  const b = isRecord(after) ? after : {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .slice(0, max)
    .map((k) => `${k}: ${cellText(a[k])} → ${cellText(b[k])}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A fact value in one short line (a few leading fields). */
export function summary(value: unknown, max = 4): string {
  if (!isRecord(value)) return cellText(value);
  return Object.entries(value)
    .filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
    .slice(0, max)
    .map(([k, v]) => `${k}: ${cellText(v)}`)
    .join(' · ');
}

const LOCAL_INPUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An instant from a datetime-local input (read as UTC, which the form says) or from an ISO
 * 8601 time with an offset; null when it is neither.
 */
export function parseInstant(value: string | undefined): Date | null {
  if (!value) return null;
  const text = LOCAL_INPUT.test(value) ? `${value}Z` : WITH_OFFSET.test(value) ? value : null;
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The value of a datetime-local input for an instant, in UTC: "2026-03-01T10:00:00". */
export function instantInput(date: Date): string {
  return date.toISOString().slice(0, 19);
}
