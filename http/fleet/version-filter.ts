// The version filters of GET /v1/packages/{name}/hosts: each row is compared with its own
// manager's scheme. A filter version one scheme cannot read excludes that scheme's rows (with
// a note); one no scheme in play can read is the caller's mistake (400). pacman has no
// scheme here, so its rows are left out of version-filtered answers, with a note.
//
// The decision is made per distinct (manager, version) — a fleet has few of them however many
// hosts carry the package — and the rows are then fetched by exact version string.
import type { PackageManager } from '../../collectors/packages.ts';
import type { PackageVersionKey, PackageVersionRows } from '../../sql/packages.ts';
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
  /** accepted: the versions to list; null when there is no filter (every version). */
  | { ok: true; accepted: PackageVersionKey[] | null; notes: string[] }
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

export function hasVersionFilter(filter: VersionFilter): boolean {
  return versionOps.some((op) => filter[op] !== undefined);
}

/** Which of the installed versions pass the filter, and notes on the rows left out. */
export function acceptedVersions(
  versions: readonly PackageVersionRows[],
  filter: VersionFilter,
): FilterOutcome {
  const tests = versionOps.flatMap((op) => {
    const version = filter[op];
    return version === undefined ? [] : [{ op, version }];
  });
  if (tests.length === 0) return { ok: true, accepted: null, notes: [] };

  const present = new Set(versions.map((v) => schemeOf[v.manager]).filter((s) => s !== null));
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
  const pacman = versions
    .filter((v) => schemeOf[v.manager] === null)
    .reduce((n, v) => n + v.rows, 0);
  if (pacman > 0) {
    notes.push(`${pacman} pacman package(s) left out: pacman versions are not compared`);
  }
  for (const [scheme, problem] of unusable) {
    notes.push(`${scheme} packages left out: ${problem}`);
  }
  let unreadable = 0;
  const accepted = versions.filter((v) => {
    const scheme = schemeOf[v.manager];
    if (scheme === null || unusable.has(scheme)) return false;
    if (invalidUnder(scheme, v.evr)) {
      unreadable += v.rows;
      return false;
    }
    return tests.every(({ op, version }) => accepts[op](compareVersions(scheme, v.evr, version)));
  });
  if (unreadable > 0) {
    notes.push(`${unreadable} installed version(s) left out: not valid in their own scheme`);
  }
  return {
    ok: true,
    accepted: accepted.map((v) => ({ manager: v.manager, evr: v.evr })),
    notes,
  };
}
