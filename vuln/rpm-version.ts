// RPM version ordering, exactly as rpm >= 4.15 orders: rpmio/rpmvercmp.c (rpmvercmp, with `~`
// sorting before everything and `^` after the base version) applied to epoch, version and
// release as rpmio/rpmver.c (parseEVR, rpmverCmp) does for the EVR strings given to rpm.vercmp.
//
// Epoch. rpmverCmp compares a missing epoch as "0", so `1.0-1` equals `0:1.0-1` and is older than
// `1:0.5-1`. A missing epoch is never a wildcard (older yum/Wazuh logic that skipped the epoch
// when one side lacked it reported `2.0-1` as newer than `1:1.5-1`).
//
// Release. rpmverCmp compares releases with compare_values: a missing release sorts before any
// release, so `1.0` < `1.0-1` (rpm's dependency matching treats a missing release as "any", but
// that is rpmdsCompare, not the ordering). OSV fixes and installed packages always carry one.
//
// Validity. rpm.vercmp itself only refuses the empty string and orders anything else (`a:1`,
// `1.1.α`, `1.m+e2:1`). We accept what rpmbuild accepts in a package's Version and Release
// (build/parsePreamble.c rpmCharCheck with ALLOWED_CHARS_VERREL): ASCII letters, digits and
// `._+~^`, no `..`; plus an epoch that rpmbuild takes (digits, at most 2^32-1). Macro
// characters `%{}`, which rpmbuild lets through with a "Possible unexpanded macro" warning, are
// refused, as are a non-numeric or empty epoch, `:` or `-` inside the version, and an empty
// release.
import { compareDigits, InvalidVersionError, type Ordering } from './version-scheme.ts';

export type RpmVersion = {
  /** The epoch digits as written (e.g. '01'), or null when absent (compares as '0'). */
  readonly epoch: string | null;
  readonly version: string;
  /** null when the string has no `-release`. */
  readonly release: string | null;
};

const VERREL_CHARS = /^[0-9A-Za-z._+~^]+$/;
/** The header stores the epoch as a uint32; rpmbuild refuses anything larger. */
const MAX_EPOCH = '4294967295';

/** Splits `E:V-R`, `E:V`, `V-R` or `V`; throws InvalidVersionError when invalid. */
export function parseRpmVersion(evr: string): RpmVersion {
  const fail = (reason: string): never => {
    throw new InvalidVersionError('rpm', evr, reason);
  };
  if (evr === '') fail('version string is empty');

  // As parseEVR: leading digits followed by ':' are the epoch; the last '-' starts the release.
  const epochMatch = /^([0-9]*):/.exec(evr);
  let epoch: string | null = null;
  let rest = evr;
  if (epochMatch) {
    epoch = epochMatch[1] ?? '';
    if (epoch === '') fail('epoch is empty');
    if (compareDigits(epoch, MAX_EPOCH) > 0) fail('epoch is larger than 4294967295');
    rest = evr.slice(epochMatch[0].length);
  }
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const release = hyphen === -1 ? null : rest.slice(hyphen + 1);
  checkPart(version, 'version', fail);
  if (release !== null) checkPart(release, 'release', fail);
  return { epoch, version, release };
}

function checkPart(part: string, what: string, fail: (reason: string) => never): void {
  if (part === '') fail(`${what} is empty`);
  if (!VERREL_CHARS.test(part)) {
    const bad = [...part].find((c) => !VERREL_CHARS.test(c)) ?? '';
    fail(`illegal character ${JSON.stringify(bad)} in ${what} (allowed: letters, digits, ._+~^)`);
  }
  if (part.includes('..')) fail(`illegal sequence ".." in ${what}`);
}

export function compareRpmVersions(a: string, b: string): Ordering {
  return compareParsedRpm(parseRpmVersion(a), parseRpmVersion(b));
}

/** rpmverCmp: epoch (missing = "0"), then version, then release (missing < present). */
export function compareParsedRpm(a: RpmVersion, b: RpmVersion): Ordering {
  return (
    rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') ||
    rpmvercmp(a.version, b.version) ||
    compareOptional(a.release, b.release)
  );
}

function compareOptional(a: string | null, b: string | null): Ordering {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return rpmvercmp(a, b);
}

/**
 * rpmvercmp: split into runs of digits and of letters, skipping other separators; `~` sorts
 * before anything (even the end), `^` after the end but before anything else; a digit run beats
 * a letter run; digit runs compare numerically (as strings, so any length), letter runs by
 * strcmp; when all runs tie, the string with something left over is newer.
 */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);

    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(ca);
    const inRun = numeric ? isDigit : isAlpha;
    const startA = i;
    while (i < a.length && inRun(a.charCodeAt(i))) i++;
    const startB = j;
    while (j < b.length && inRun(b.charCodeAt(j))) j++;
    // A run of the other kind on b's side (empty here): numbers are newer than letters.
    if (j === startB) return numeric ? 1 : -1;

    const runA = a.slice(startA, i);
    const runB = b.slice(startB, j);
    const order = numeric ? compareDigits(runA, runB) : runA < runB ? -1 : runA > runB ? 1 : 0;
    if (order !== 0) return order;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

const TILDE = 126;
const CARET = 94;

/** rpm's risalnum is ASCII-only: every other byte, `~` and `^` aside, separates runs. */
function isSeparator(c: number): boolean {
  return !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
