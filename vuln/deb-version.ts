// Debian version ordering, exactly as dpkg orders: lib/dpkg/version.c (dpkg_version_compare,
// verrevcmp) for the order and lib/dpkg/parsehelp.c (parseversion) for what is a version.
//
// Validity. `dpkg --compare-versions` distinguishes errors (exit 2: empty or non-numeric epoch,
// epoch > INT_MAX, nothing after the colon, empty revision, empty upstream, embedded space) from
// warnings ("version number does not start with digit", "invalid character in version/revision
// number"): on a warning it prints "has bad syntax" and still compares. dpkg-deb and the package
// database refuse both kinds, so no installed package and no advisory can carry one; we reject
// both. Where dpkg is more lenient than its own rules we are stricter, on purpose:
//   - leading/trailing blanks: dpkg trims them; we reject (an exact string is expected);
//   - the epoch: dpkg parses it with strtol, so `+1:2` or ` 1:2` pass; we want digits only;
//   - the empty string and `<unknown>`: dpkg treats them as "no version"; we reject them.
import { compareDigits, InvalidVersionError, type Ordering, sign } from './version-scheme.ts';

export type DebVersion = {
  /** null when the string has no epoch; it then compares as 0, exactly as dpkg does. */
  readonly epoch: number | null;
  readonly upstream: string;
  /** null when there is no hyphen; it then compares equal to `-0`, exactly as dpkg does. */
  readonly revision: string | null;
};

/** dpkg stores the epoch in an int and refuses larger ones ("epoch in version is too big"). */
const MAX_EPOCH = 2_147_483_647;

const UPSTREAM_CHARS = /^[0-9A-Za-z.+~:-]*$/;
const REVISION_CHARS = /^[0-9A-Za-z.+~]*$/;

/** Splits into epoch, upstream version and revision; throws InvalidVersionError when invalid. */
export function parseDebVersion(version: string): DebVersion {
  const fail = (reason: string): never => {
    throw new InvalidVersionError('deb', version, reason);
  };
  if (version === '') fail('version string is empty');
  if (/\s/.test(version)) fail('version string contains whitespace');

  // The first colon ends the epoch; later colons belong to the upstream version.
  const colon = version.indexOf(':');
  let epoch: number | null = null;
  let rest = version;
  if (colon !== -1) {
    const digits = version.slice(0, colon);
    if (digits === '') fail('epoch in version is empty');
    if (!/^[0-9]+$/.test(digits)) fail('epoch in version is not number');
    epoch = Number(digits);
    if (epoch > MAX_EPOCH) fail('epoch in version is too big');
    rest = version.slice(colon + 1);
    if (rest === '') fail('nothing after colon in version number');
  }

  // The last hyphen starts the revision; earlier hyphens belong to the upstream version.
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? null : rest.slice(hyphen + 1);
  if (revision === '') fail('revision number is empty');
  if (upstream === '') fail('version number is empty');
  if (!isDigit(upstream.charCodeAt(0))) fail('version number does not start with digit');
  if (!UPSTREAM_CHARS.test(upstream)) fail('invalid character in version number');
  if (revision !== null && !REVISION_CHARS.test(revision)) {
    fail('invalid character in revision number');
  }
  return { epoch, upstream, revision };
}

export function compareDebVersions(a: string, b: string): Ordering {
  return compareParsedDeb(parseDebVersion(a), parseDebVersion(b));
}

export function compareParsedDeb(a: DebVersion, b: DebVersion): Ordering {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision ?? '', b.revision ?? '');
}

/**
 * dpkg's verrevcmp: alternate non-digit and digit runs. Non-digits compare by `order` ('~'
 * before the end of the string, the end before letters, letters before everything else); digit
 * runs compare numerically, compared as strings so that runs of any length cannot overflow.
 */
export function verrevcmp(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      (i < a.length && !isDigit(a.charCodeAt(i))) ||
      (j < b.length && !isDigit(b.charCodeAt(j)))
    ) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return sign(ac - bc);
      // Equal weights here mean the same non-digit character on both sides, never an end.
      i++;
      j++;
    }
    const startA = i;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    const startB = j;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const digits = compareDigits(a.slice(startA, i), b.slice(startB, j));
    if (digits !== 0) return digits;
  }
  return 0;
}

/** The weight dpkg gives the character at `index` (0 past the end and for digits). */
function order(s: string, index: number): number {
  if (index >= s.length) return 0;
  const c = s.charCodeAt(index);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
