// The version schemes the matcher understands, and the error every scheme throws for a string
// that is not a version of that scheme. Kept apart from versions.ts so the per-scheme files can
// throw it without importing the dispatcher that imports them.

/** deb: dpkg (Debian, Ubuntu); rpm: rpm (RHEL clones, SUSE); apk: apk-tools (Alpine). */
export const versionSchemes = ['deb', 'rpm', 'apk'] as const;
export type VersionScheme = (typeof versionSchemes)[number];

/** A comparison result, as strcmp but normalized. */
export type Ordering = -1 | 0 | 1;

/**
 * Thrown for a string that the scheme's own tools refuse (or, where the tool merely warns, would
 * refuse when building a package). Such strings are never ordered: an order invented for garbage
 * would turn into a silent "affected" or "not affected".
 */
export class InvalidVersionError extends Error {
  override readonly name = 'InvalidVersionError';
  readonly scheme: VersionScheme;
  readonly version: string;
  readonly reason: string;

  constructor(scheme: VersionScheme, version: string, reason: string) {
    super(`invalid ${scheme} version ${JSON.stringify(version)}: ${reason}`);
    this.scheme = scheme;
    this.version = version;
    this.reason = reason;
  }
}

/** Numeric comparison of two digit strings of any length (no overflow, leading zeros ignored). */
export function compareDigits(a: string, b: string): Ordering {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) i++;
  return digits.slice(i);
}

export function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
