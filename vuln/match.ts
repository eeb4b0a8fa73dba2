// Is an installed package version affected by an OSV `affected[]` entry? The OSV evaluation
// (https://ossf.github.io/osv-schema/#evaluation): a version is affected when some ECOSYSTEM
// range includes it, or when the entry's `versions` list names it.
//
// A range's events are sorted in the scheme's order ("introduced: 0" first, meaning "from the
// very beginning": deb `0~rc1` sorts below `0` yet is included); events with equal versions keep
// the record's order. Walking them: `introduced` at or below the version makes it affected,
// `fixed` at or below makes it not affected (the fixed version itself is NOT affected), a
// `last_affected` below makes it not affected (the last_affected version itself IS affected).
// `limit` events cap the range: the version must be below one of them (or one is `*`).
//
// Epochs are part of the version and compared as the package manager compares them:
//   - deb: Debian and Ubuntu `fixed` versions carry the package's epoch when it has one
//     (`1:4.1.48-9ubuntu0.1~esm1`); dpkg compares the epoch first and a missing epoch is 0, so
//     an installed `4.1.48-10` is older than that fix (as apt would upgrade it), and
//     `1:9.0.117-1` is newer than `1:9.0.62-1` (digits compare as numbers, not text).
//   - rpm: the installed EVR is compared with the fixed EVR as rpm.vercmp does: a missing epoch
//     is 0, never a wildcard. `1.1.1k-17.el8_6` (no epoch) is older than `1:1.1.1k-17.el8_6`,
//     and yum/dnf would offer the epoch-1 package as an upgrade, so the host is affected.
//     Pass the installed version with its epoch (`E:V-R`), or without it when rpm has none.
// For deb ecosystems (source package names) pass the installed SOURCE version: a binNMU
// (`+b1`) or a separately versioned binary does not carry the version the advisory speaks of.
//
// Errors are never turned into an answer: an invalid installed or event version throws
// InvalidVersionError, a SEMVER range (not the scheme's ordering) throws UnsupportedRangeError.
// GIT ranges describe commits, not package versions, and are skipped as the spec allows.
import { parseOsvEcosystem } from './ecosystems.ts';
import type { OsvAffected, OsvEvent, OsvRange } from './osv.ts';
import type { Ordering, VersionScheme } from './version-scheme.ts';
import { assertValidVersion, compareVersions, isValidVersion } from './versions.ts';

export class UnsupportedRangeError extends Error {
  override readonly name = 'UnsupportedRangeError';
}

/** Whether `installedVersion` of the package is affected by this `affected[]` entry. */
export function isAffected(
  scheme: VersionScheme,
  installedVersion: string,
  affected: OsvAffected,
): boolean {
  assertValidVersion(scheme, installedVersion);
  const ecosystem = affected.package?.ecosystem;
  if (ecosystem !== undefined) {
    const parsed = parseOsvEcosystem(ecosystem);
    if (parsed.supported && parsed.scheme !== scheme) {
      throw new Error(
        `${ecosystem} versions are ${parsed.scheme} versions, not ${scheme} (package ` +
          `${affected.package?.name})`,
      );
    }
  }
  for (const range of affected.ranges) {
    if (range.type === 'GIT') continue;
    if (range.type === 'SEMVER') {
      throw new UnsupportedRangeError(
        `a SEMVER range cannot be evaluated with ${scheme} ordering (package ` +
          `${affected.package?.name ?? '?'})`,
      );
    }
    if (rangeIncludes(scheme, installedVersion, range)) return true;
  }
  return affected.versions.some((listed) => sameVersion(scheme, installedVersion, listed));
}

/** One ECOSYSTEM range, evaluated as the OSV spec's `includes` and `before_limits`. */
export function rangeIncludes(scheme: VersionScheme, version: string, range: OsvRange): boolean {
  const events = sortEvents(scheme, range.events);
  let affected = false;
  for (const event of events) {
    if ('introduced' in event) {
      if (event.introduced === '0' || compareVersions(scheme, version, event.introduced) >= 0) {
        affected = true;
      }
    } else if ('fixed' in event) {
      if (compareVersions(scheme, version, event.fixed) >= 0) affected = false;
    } else if ('last_affected' in event) {
      if (compareVersions(scheme, version, event.last_affected) > 0) affected = false;
    }
  }
  const limits = events.flatMap((event) => ('limit' in event ? [event.limit] : []));
  if (limits.length > 0) {
    const below = limits.some((l) => l === '*' || compareVersions(scheme, version, l) < 0);
    if (!below) return false;
  }
  return affected;
}

/** Stable sort by the scheme's order; `introduced: 0` is the lowest, `limit: *` the highest. */
export function sortEvents(scheme: VersionScheme, events: readonly OsvEvent[]): OsvEvent[] {
  return [...events].sort((a, b) => compareEventVersions(scheme, a, b));
}

type Bound = { readonly kind: 'min' | 'max' } | { readonly kind: 'version'; readonly v: string };

function boundOf(event: OsvEvent): Bound {
  if ('introduced' in event) {
    return event.introduced === '0' ? { kind: 'min' } : { kind: 'version', v: event.introduced };
  }
  if ('fixed' in event) return { kind: 'version', v: event.fixed };
  if ('last_affected' in event) return { kind: 'version', v: event.last_affected };
  return event.limit === '*' ? { kind: 'max' } : { kind: 'version', v: event.limit };
}

function compareEventVersions(scheme: VersionScheme, a: OsvEvent, b: OsvEvent): Ordering {
  const x = boundOf(a);
  const y = boundOf(b);
  if (x.kind === 'version' && y.kind === 'version') return compareVersions(scheme, x.v, y.v);
  const weight = (bound: Bound): number =>
    bound.kind === 'min' ? -1 : bound.kind === 'max' ? 1 : 0;
  const diff = weight(x) - weight(y);
  return diff < 0 ? -1 : diff > 0 ? 1 : 0;
}

/**
 * The `versions` list: the same string, or a version the scheme calls equal (`1.0` and `0:1.0`).
 * A listed string that is not a valid version can only match itself.
 */
function sameVersion(scheme: VersionScheme, installed: string, listed: string): boolean {
  if (listed === installed) return true;
  return isValidVersion(scheme, listed) && compareVersions(scheme, installed, listed) === 0;
}
