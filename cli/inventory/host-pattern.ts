// Ansible host patterns: `name`, `name:port`, `[v6addr]:port`, and ranges such as
// `web[01:03].example.com` or `db-[a:c]` (several ranges multiply), as Ansible expands them.

/** A larger expansion is almost certainly a typo (`[1:100000]`), and would flood the fleet. */
export const MAX_RANGE_HOSTS = 10_000;

export class HostPatternError extends Error {
  override readonly name = 'HostPatternError';
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Splits a trailing `:port` off; a bare IPv6 address (several colons) has none. */
export function splitHostPort(pattern: string): { host: string; port: number | null } {
  const bracketed = /^\[([0-9A-Fa-f:.%\w]*:[0-9A-Fa-f:.%\w]*:[0-9A-Fa-f:.%\w]*)\](?::(\d+))?$/.exec(
    pattern,
  );
  if (bracketed?.[1]) {
    return { host: bracketed[1], port: bracketed[2] ? parsePort(bracketed[2]) : null };
  }
  const colons: number[] = [];
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ':' && depth === 0) colons.push(i);
  }
  if (colons.length !== 1) return { host: pattern, port: null };
  const at = colons[0] as number;
  return { host: pattern.slice(0, at), port: parsePort(pattern.slice(at + 1)) };
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new HostPatternError(`invalid port ${JSON.stringify(text)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new HostPatternError(`port ${port} is out of range`);
  return port;
}

export function hasRange(host: string): boolean {
  return /\[[^\]]*:[^\]]*\]/.test(host);
}

/** Expands every `[begin:end]` or `[begin:end:step]` range, left to right. */
export function expandRanges(host: string): string[] {
  const out: string[] = [];
  expandInto(host, out);
  return out;
}

function expandInto(host: string, out: string[]): void {
  const open = host.indexOf('[');
  const close = open === -1 ? -1 : host.indexOf(']', open);
  if (open === -1 || close === -1 || !host.slice(open, close).includes(':')) {
    out.push(host);
    return;
  }
  const head = host.slice(0, open);
  const tail = host.slice(close + 1);
  for (const item of rangeItems(host.slice(open + 1, close))) {
    expandInto(`${head}${item}${tail}`, out);
    if (out.length > MAX_RANGE_HOSTS) {
      throw new HostPatternError(`a host range expands to more than ${MAX_RANGE_HOSTS} hosts`);
    }
  }
}

function rangeItems(range: string): string[] {
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostPatternError('a host range must be [begin:end] or [begin:end:step]');
  }
  const begin = bounds[0] || '0';
  const end = bounds[1] as string;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostPatternError('a host range must have an end');
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
    throw new HostPatternError(`invalid host range step ${JSON.stringify(stepText)}`);
  }
  const step = Number(stepText);
  const iBegin = LETTERS.indexOf(begin);
  const iEnd = LETTERS.indexOf(end);
  if (begin.length === 1 && end.length === 1 && iBegin !== -1 && iEnd !== -1) {
    if (iBegin > iEnd) throw new HostPatternError('a host range must have begin <= end');
    const letters: string[] = [];
    for (let i = iBegin; i <= iEnd; i += step) letters.push(LETTERS[i] as string);
    return letters;
  }
  if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) {
    throw new HostPatternError(
      `invalid host range [${range}]: begin and end must be numbers or letters`,
    );
  }
  // A leading zero asks for zero-padded names of the begin's width (web01…web10).
  const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
  if (width && end.length !== width) {
    throw new HostPatternError('a zero-padded host range must have begin and end of equal length');
  }
  const first = Number(begin);
  const last = Number(end);
  if (first > last) throw new HostPatternError('a host range must have begin <= end');
  if ((last - first) / step + 1 > MAX_RANGE_HOSTS) {
    throw new HostPatternError(`a host range expands to more than ${MAX_RANGE_HOSTS} hosts`);
  }
  const items: string[] = [];
  for (let n = first; n <= last; n += step) items.push(String(n).padStart(width, '0'));
  return items;
}
