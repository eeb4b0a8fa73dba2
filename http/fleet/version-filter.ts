// The version filters of GET /v1/packages/{name}/hosts: each row is compared with its own
// manager's scheme. A filter version one scheme cannot read excludes that scheme's rows (with
// a note); one no scheme in play can read is the caller's mistake (400). pacman has no
// scheme here, so its rows are left out of version-filtered answers, with a note.
import type { PackageManager } from '../../collectors/packages.ts';
import type { PackageHostRow } from '../../sql/packages.ts';
import {
  compareVersions,
  InvalidVersionError,
  type Ordering,
  type VersionScheme,
  versionSchemes,
} from '../../vuln/versions.ts';

export const versionOps = [
  'versionLt',
  'versionLe',
  'versionEq',
  'versionGe',
  'versionGt',
] as const;
export type VersionOp = (typeof versionOps)[number];

const accepts: Record<VersionOp, (o: Ordering) => boolean> = {
  versionLt: (o) => o < 0,
  versionLe: (o) => o <= 0,
  versionEq: (o) => o === 0,
  versionGe: (o) => o >= 0,
  versionGt: (o) => o > 0,
};

export const schemeOf: Record<PackageManager, VersionScheme | null> = {
  dpkg: 'deb',
  rpm: 'rpm',
  apk: 'apk',
  pacman: null,
};

export type VersionFilter = Partial<Record<VersionOp, string>>;

export type FilterOutcome =
  | { ok: true; rows: PackageHostRow[]; notes: string[] }
  | { ok: false; detail: string };

/** Parse errors of `version` under `scheme`, or null when it is valid there. */
function invalidUnder(scheme: VersionScheme, version: string): string | null {
  try {
    compareVersions(scheme, version, version);
    return null;
  } catch (error) {
    if (error instanceof InvalidVersionError) return error.message;
    throw error;
  }
}

export function applyVersionFilter(rows: PackageHostRow[], filter: VersionFilter): FilterOutcome {
  const tests = versionOps.flatMap((op) => {
    const version = filter[op];
    return version === undefined ? [] : [{ op, version }];
  });
  if (tests.length === 0) return { ok: true, rows, notes: [] };

  const present = new Set(rows.map((r) => schemeOf[r.manager]).filter((s) => s !== null));
  const inPlay = present.size > 0 ? [...present] : [...versionSchemes];
  const unusable = new Map<VersionScheme, string>();
  for (const scheme of inPlay) {
    for (const { version } of tests) {
      const problem = invalidUnder(scheme, version);
      if (problem && !unusable.has(scheme)) unusable.set(scheme, problem);
    }
  }
  if (unusable.size === inPlay.length) {
    return { ok: false, detail: [...unusable.values()].join('; ') };
  }

  const notes: string[] = [];
  const pacman = rows.filter((r) => schemeOf[r.manager] === null).length;
  if (pacman > 0) {
    notes.push(`${pacman} pacman package(s) left out: pacman versions are not compared`);
  }
  for (const [scheme, problem] of unusable) {
    notes.push(`${scheme} packages left out: ${problem}`);
  }
  let unreadable = 0;
  const kept = rows.filter((row) => {
    const scheme = schemeOf[row.manager];
    if (scheme === null || unusable.has(scheme)) return false;
    if (invalidUnder(scheme, row.evr)) {
      unreadable++;
      return false;
    }
    return tests.every(({ op, version }) => accepts[op](compareVersions(scheme, row.evr, version)));
  });
  if (unreadable > 0) {
    notes.push(`${unreadable} installed version(s) left out: not valid in their own scheme`);
  }
  return { ok: true, rows: kept, notes };
}
