// Alpine version ordering, as apk-tools orders (src/version.c: token_first/token_next for what
// is a version, apk_version_compare for the order; `apk version -t` prints that order).
//
// Grammar: digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-rN}
//   - suffixes: _alpha _beta _pre _rc sort before the bare version, _cvs _svn _git _hg _p after;
//   - a dotted number with a leading zero compares as a string (Gentoo rule): 1.07 < 1.1;
//   - the first number, suffix numbers and -rN compare numerically;
//   - `~hash` (lowercase hex) is apk-tools 3 syntax; apk-tools 2.x refuses it.
// Validity follows apk-tools 3 (apk_version_validate); `apk version -t` itself orders invalid
// strings too (e.g. `1.2_blah`, `1-r-1`, `a`), and apk 2.x and 3.x disagree on them, so we
// reject them instead. apk-tools 2.x also accepted an empty `-r` (`1-r`); 3.x and we do not.
// Numbers are compared at any length; apk-tools parses them into a uint64 and so wraps past
// 20 digits, a case that no real package hits.
import { compareDigits, InvalidVersionError, type Ordering } from './version-scheme.ts';

/** Token kinds, in apk-tools' order: the comparison of unequal kinds depends on it. */
export const apkTokenKinds = [
  'initial-digit',
  'digit',
  'letter',
  'suffix',
  'suffix-number',
  'commit-hash',
  'revision',
  'end',
] as const;
export type ApkTokenKind = (typeof apkTokenKinds)[number];

export type ApkToken = { readonly kind: ApkTokenKind; readonly value: string };

export type ApkVersion = {
  /** The version without `~hash` and `-rN`, e.g. '1.2.3_p1'. */
  readonly version: string;
  /** The hex digits after `~`, or null. */
  readonly commitHash: string | null;
  /** The digits after `-r`, or null when absent (compares below any `-rN`, even `-r0`). */
  readonly revision: string | null;
  /** Every token, ending with an 'end' token. */
  readonly tokens: readonly ApkToken[];
};

/** Pre-release suffixes sort below the bare version, post-release ones above it. */
const suffixRanks: ReadonlyMap<string, number> = new Map([
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);
/** The rank of "no suffix": below it a suffix means a pre-release. */
const SUFFIX_NONE = 5;

const rank = (kind: ApkTokenKind): number => apkTokenKinds.indexOf(kind);
const suffixRank = (token: ApkToken): number => suffixRanks.get(token.value) ?? SUFFIX_NONE;

export function parseApkVersion(version: string): ApkVersion {
  const fail = (reason: string): never => {
    throw new InvalidVersionError('apk', version, reason);
  };
  const tokens: ApkToken[] = [];
  let pos = 0;
  const take = (pattern: RegExp): string => {
    pattern.lastIndex = pos;
    const match = pattern.exec(version);
    const text = match?.[0] ?? '';
    pos += text.length;
    return text;
  };

  const first = take(/[0-9]*/y);
  if (first === '') fail('does not start with a digit');
  tokens.push({ kind: 'initial-digit', value: first });

  while (pos < version.length) {
    const prev = rank(tokens[tokens.length - 1]?.kind ?? 'initial-digit');
    const c = version[pos] ?? '';
    const at = `at ${JSON.stringify(version.slice(pos))}`;
    if (c >= 'a' && c <= 'z') {
      if (prev > rank('digit')) fail(`a letter may only follow a number, ${at}`);
      tokens.push({ kind: 'letter', value: c });
      pos++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      // A digit can start a token only right after a suffix name (`_p1`); numbers are greedy.
      if (c === '.' && prev > rank('digit')) fail(`a dotted number may not follow, ${at}`);
      if (c !== '.' && prev !== rank('suffix')) fail(`unexpected digit ${at}`);
      if (c === '.') pos++;
      const digits = take(/[0-9]*/y);
      if (digits === '') fail(`expected digits ${at}`);
      tokens.push({ kind: c === '.' ? 'digit' : 'suffix-number', value: digits });
    } else if (c === '_') {
      if (prev > rank('suffix-number')) fail(`a suffix may not follow, ${at}`);
      pos++;
      const name = take(/[a-z]*/y);
      if (!suffixRanks.has(name)) fail(`unknown suffix ${JSON.stringify(`_${name}`)}`);
      tokens.push({ kind: 'suffix', value: name });
    } else if (c === '~') {
      if (prev >= rank('commit-hash')) fail(`a commit hash may not follow, ${at}`);
      pos++;
      const hash = take(/[0-9a-f]*/y);
      if (hash === '') fail(`expected lowercase hex digits ${at}`);
      tokens.push({ kind: 'commit-hash', value: hash });
    } else if (c === '-') {
      if (prev >= rank('revision')) fail(`a second revision ${at}`);
      if (version[pos + 1] !== 'r') fail(`expected "-r<number>" ${at}`);
      pos += 2;
      const digits = take(/[0-9]*/y);
      if (digits === '') fail(`expected digits after "-r" ${at}`);
      tokens.push({ kind: 'revision', value: digits });
    } else {
      fail(`unexpected character ${JSON.stringify(c)} ${at}`);
    }
  }
  tokens.push({ kind: 'end', value: '' });

  const hash = tokens.find((t) => t.kind === 'commit-hash');
  const revision = tokens.find((t) => t.kind === 'revision');
  const cut = version.search(/[~-]/);
  return {
    version: cut === -1 ? version : version.slice(0, cut),
    commitHash: hash ? hash.value : null,
    revision: revision ? revision.value : null,
    tokens,
  };
}

export function compareApkVersions(a: string, b: string): Ordering {
  return compareParsedApk(parseApkVersion(a), parseApkVersion(b));
}

/** apk_version_compare on two valid versions. */
export function compareParsedApk(a: ApkVersion, b: ApkVersion): Ordering {
  let i = 0;
  for (;;) {
    const ta = a.tokens[i];
    const tb = b.tokens[i];
    if (!ta || !tb) throw new Error('apk token list without an end token');
    if (ta.kind !== tb.kind) return compareTails(ta, tb);
    if (ta.kind === 'end') return 0;
    const order = compareTokens(ta, tb);
    if (order !== 0) return order;
    i++;
  }
}

function compareTokens(a: ApkToken, b: ApkToken): Ordering {
  switch (a.kind) {
    case 'digit':
      // A dotted number with a leading zero on either side compares as a string.
      if (a.value.startsWith('0') || b.value.startsWith('0')) return blobSort(a.value, b.value);
      return compareDigits(a.value, b.value);
    case 'initial-digit':
    case 'suffix-number':
    case 'revision':
      return compareDigits(a.value, b.value);
    case 'letter':
      return blobSort(a.value, b.value);
    case 'suffix':
      return compareNumbers(suffixRank(a), suffixRank(b));
    default:
      return blobSort(a.value, b.value);
  }
}

/**
 * The versions agree up to tokens of different kinds: a pre-release suffix is older than
 * anything; otherwise the side whose next token ranks later in the grammar is older (so the
 * end of the string is older than `.1`, `a`, `_p1` or `-r0`).
 */
function compareTails(a: ApkToken, b: ApkToken): Ordering {
  if (a.kind === 'suffix' && suffixRank(a) < SUFFIX_NONE) return -1;
  if (b.kind === 'suffix' && suffixRank(b) < SUFFIX_NONE) return 1;
  return compareNumbers(rank(b.kind), rank(a.kind));
}

/** apk_blob_sort: bytewise over the common length, then the shorter first. */
function blobSort(a: string, b: string): Ordering {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareNumbers(a: number, b: number): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}
