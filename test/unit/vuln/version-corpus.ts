// Random VALID versions for each scheme, in pairs that are mostly close to each other (one
// version derived from the other by small edits) so the comparison is decided deep inside the
// strings: at a `~`, a leading zero, an epoch, a missing revision, a 25-digit run.
import type { Rng } from './prng.ts';

export type Pair = readonly [string, string];

const LETTERS = [
  'a',
  'b',
  'z',
  'A',
  'Z',
  'rc',
  'deb',
  'ubuntu',
  'bpo',
  'esm',
  'git',
  'el',
  'Final',
];

/** Digit runs: short, with leading zeros, or longer than any machine integer. */
function digits(rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.55) return String(rng.int(0, 12));
  if (roll < 0.75) return String(rng.int(0, 99999));
  if (roll < 0.88) return '0'.repeat(rng.int(1, 3)) + String(rng.int(0, 99));
  return longDigits(rng);
}

function longDigits(rng: Rng): string {
  let run = String(rng.int(1, 9));
  const length = rng.int(21, 40);
  while (run.length < length) run += String(rng.int(0, 9));
  return run;
}

/** Nudges a digit run: +-1, extra leading zeros, or a last-digit change in a long run. */
function nudgeDigits(rng: Rng, run: string): string {
  const roll = rng.next();
  if (roll < 0.3) return `0${run}`;
  if (roll < 0.6 && run.length > 15) {
    const last = Number(run.at(-1));
    return run.slice(0, -1) + String((last + rng.pick([1, 9])) % 10);
  }
  const value = Number(run.length > 15 ? run.slice(-6) : run);
  const nudged = Math.max(0, value + rng.pick([-1, 1, 1, 2]));
  return run.length > 15
    ? run.slice(0, -6) + String(nudged).padStart(6, '0').slice(-6)
    : String(nudged);
}

const isDigitToken = (token: string): boolean => /^[0-9]+$/.test(token);
const isLetterToken = (token: string): boolean => /^[A-Za-z]+$/.test(token);

/** Mutates one random token of a token list in place (digit run, letter run or separator). */
function mutateTokens(rng: Rng, tokens: string[], separators: readonly string[]): void {
  const index = rng.int(0, tokens.length - 1);
  const token = tokens[index] ?? '';
  if (isDigitToken(token)) tokens[index] = nudgeDigits(rng, token);
  else if (isLetterToken(token)) tokens[index] = rng.pick(LETTERS);
  else tokens[index] = rng.pick(separators);
}

function appendTokens(rng: Rng, tokens: string[], separators: readonly string[]): void {
  const separator = rng.pick(separators);
  tokens.push(separator, rng.chance(0.5) ? digits(rng) : rng.pick(LETTERS));
}

// ---------------------------------------------------------------- deb

type DebParts = { epoch: string | null; upstream: string[]; revision: string[] | null };

const DEB_UPSTREAM_SEPARATORS = ['.', '.', '+', '~', ''];
const DEB_REVISION_SEPARATORS = ['.', '+', '~', ''];

function randomDebParts(rng: Rng): DebParts {
  const epoch = rng.chance(0.5)
    ? null
    : rng.pick(['0', '1', '2', '01', '00', String(rng.int(3, 99))]);
  const upstream = [digits(rng)];
  for (let n = rng.int(0, 4); n > 0; n--) appendTokens(rng, upstream, DEB_UPSTREAM_SEPARATORS);
  let revision: string[] | null = null;
  if (rng.chance(0.7)) {
    revision = [rng.chance(0.8) ? digits(rng) : rng.pick(LETTERS)];
    for (let n = rng.int(0, 3); n > 0; n--) appendTokens(rng, revision, DEB_REVISION_SEPARATORS);
  }
  // Colons inside the upstream part are allowed only after an epoch, hyphens only before a
  // revision: put some in so the "first colon" and "last hyphen" rules are exercised.
  if (epoch !== null && rng.chance(0.1)) upstream.push(':', digits(rng));
  if (revision !== null && rng.chance(0.1)) upstream.push('-', digits(rng));
  return { epoch, upstream, revision };
}

function mutateDeb(rng: Rng, parts: DebParts): DebParts {
  const next: DebParts = {
    epoch: parts.epoch,
    upstream: [...parts.upstream],
    revision: parts.revision ? [...parts.revision] : null,
  };
  const roll = rng.next();
  if (roll < 0.15) {
    next.epoch = rng.pick([null, '0', '1', '2', '01', String(Number(parts.epoch ?? '0') + 1)]);
  } else if (roll < 0.4) {
    mutateTokens(rng, next.upstream, DEB_UPSTREAM_SEPARATORS);
  } else if (roll < 0.55) {
    appendTokens(rng, next.upstream, ['~', '+', '.', '']);
  } else if (roll < 0.65) {
    if (next.upstream.length > 2) next.upstream.splice(-2);
    else next.upstream.push('~');
  } else if (roll < 0.8) {
    if (next.revision === null) next.revision = [rng.pick(['0', '00', '1', '0~1'])];
    else mutateTokens(rng, next.revision, DEB_REVISION_SEPARATORS);
  } else if (roll < 0.9) {
    if (next.revision === null) next.revision = ['1'];
    else appendTokens(rng, next.revision, ['~', '+', '.']);
  } else {
    next.revision = null;
  }
  return fixDeb(next);
}

/** Keeps the invariants that make the rendering a valid dpkg version. */
function fixDeb(parts: DebParts): DebParts {
  let upstream = parts.upstream;
  if (parts.epoch === null) upstream = upstream.map((t) => (t === ':' ? '.' : t));
  if (parts.revision === null) upstream = upstream.map((t) => (t === '-' ? '.' : t));
  if (!isDigitToken(upstream[0] ?? '')) upstream = ['0', ...upstream];
  const revision = parts.revision?.join('') === '' ? ['0'] : parts.revision;
  return { ...parts, upstream, revision };
}

function renderDeb(parts: DebParts): string {
  const epoch = parts.epoch === null ? '' : `${parts.epoch}:`;
  const revision = parts.revision === null ? '' : `-${parts.revision.join('')}`;
  return `${epoch}${parts.upstream.join('')}${revision}`;
}

// ---------------------------------------------------------------- rpm

type RpmParts = { epoch: string | null; version: string[]; release: string[] | null };

const RPM_SEPARATORS = ['.', '.', '_', '+', '~', '^', ''];
/** rpm epochs are uint32: include the largest, and leading zeros. */
const RPM_EPOCHS = ['0', '1', '2', '01', '000', '10', '4294967294', '4294967295', '04294967295'];

function randomRpmParts(rng: Rng): RpmParts {
  const epoch = rng.chance(0.5) ? null : rng.pick(RPM_EPOCHS);
  const version = [rng.chance(0.9) ? digits(rng) : rng.pick(LETTERS)];
  for (let n = rng.int(0, 4); n > 0; n--) appendTokens(rng, version, RPM_SEPARATORS);
  let release: string[] | null = null;
  if (rng.chance(0.8)) {
    release = [digits(rng)];
    for (let n = rng.int(0, 4); n > 0; n--) appendTokens(rng, release, RPM_SEPARATORS);
  }
  return { epoch, version, release };
}

function mutateRpm(rng: Rng, parts: RpmParts): RpmParts {
  const next: RpmParts = {
    epoch: parts.epoch,
    version: [...parts.version],
    release: parts.release ? [...parts.release] : null,
  };
  const roll = rng.next();
  if (roll < 0.15) {
    next.epoch = rng.chance(0.2) ? null : rng.pick(RPM_EPOCHS);
  } else if (roll < 0.4) {
    mutateTokens(rng, next.version, RPM_SEPARATORS);
  } else if (roll < 0.55) {
    appendTokens(rng, next.version, ['~', '^', '.', '_', '']);
  } else if (roll < 0.65) {
    if (next.version.length > 2) next.version.splice(-2);
    else next.version.push(rng.pick(['~', '^', '.']));
  } else if (roll < 0.85) {
    if (next.release === null) next.release = ['1'];
    else if (rng.chance(0.5)) mutateTokens(rng, next.release, RPM_SEPARATORS);
    else appendTokens(rng, next.release, ['~', '^', '.', '_', '+']);
  } else {
    next.release = null;
  }
  return next;
}

function renderRpmPart(tokens: readonly string[]): string {
  let text = tokens.join('');
  while (text.includes('..')) text = text.replace('..', '.');
  return text === '' ? '0' : text;
}

function renderRpm(parts: RpmParts): string {
  const epoch = parts.epoch === null ? '' : `${parts.epoch}:`;
  const release = parts.release === null ? '' : `-${renderRpmPart(parts.release)}`;
  return `${epoch}${renderRpmPart(parts.version)}${release}`;
}

// ---------------------------------------------------------------- apk

type ApkParts = {
  numbers: string[];
  letter: string | null;
  suffixes: { name: string; number: string | null }[];
  hash: string | null;
  revision: string | null;
};

const APK_SUFFIXES = ['alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'];

function randomApkParts(rng: Rng): ApkParts {
  const numbers = [digits(rng)];
  for (let n = rng.int(0, 3); n > 0; n--) numbers.push(digits(rng));
  const suffixes: ApkParts['suffixes'] = [];
  for (let n = rng.chance(0.4) ? rng.int(1, 2) : 0; n > 0; n--) {
    suffixes.push({ name: rng.pick(APK_SUFFIXES), number: rng.chance(0.7) ? digits(rng) : null });
  }
  return {
    numbers,
    letter: rng.chance(0.15) ? rng.pick(['a', 'b', 'c', 'p', 'z']) : null,
    suffixes,
    hash: rng.chance(0.05) ? rng.pick(['abc123', '0f', 'deadbeef', '1']) : null,
    revision: rng.chance(0.7) ? String(rng.int(0, 12)) : null,
  };
}

function mutateApk(rng: Rng, parts: ApkParts): ApkParts {
  const next: ApkParts = {
    ...parts,
    numbers: [...parts.numbers],
    suffixes: parts.suffixes.map((s) => ({ ...s })),
  };
  const roll = rng.next();
  if (roll < 0.3) {
    const index = rng.int(0, next.numbers.length - 1);
    next.numbers[index] = nudgeDigits(rng, next.numbers[index] ?? '0');
  } else if (roll < 0.4) {
    if (next.numbers.length > 1 && rng.chance(0.5)) next.numbers.pop();
    else next.numbers.push(rng.pick(['0', '1', '00', '01']));
  } else if (roll < 0.5) {
    next.letter = next.letter === null ? rng.pick(['a', 'b', 'p']) : null;
  } else if (roll < 0.7) {
    if (next.suffixes.length === 0 || rng.chance(0.3)) {
      next.suffixes.push({ name: rng.pick(APK_SUFFIXES), number: rng.pick([null, '1', '2']) });
    } else {
      const suffix = next.suffixes[rng.int(0, next.suffixes.length - 1)];
      if (suffix && rng.chance(0.5)) suffix.name = rng.pick(APK_SUFFIXES);
      else if (suffix)
        suffix.number = suffix.number === null ? '0' : nudgeDigits(rng, suffix.number);
    }
  } else if (roll < 0.9) {
    next.revision =
      next.revision === null ? '0' : rng.pick([null, nudgeDigits(rng, next.revision)]);
  } else {
    next.hash = next.hash === null ? 'a1' : null;
  }
  return next;
}

function renderApk(parts: ApkParts): string {
  let text = parts.numbers.join('.');
  if (parts.letter) text += parts.letter;
  for (const suffix of parts.suffixes) text += `_${suffix.name}${suffix.number ?? ''}`;
  if (parts.hash) text += `~${parts.hash}`;
  if (parts.revision !== null) text += `-r${parts.revision}`;
  return text;
}

// ---------------------------------------------------------------- pairs

type Generator<P> = {
  random(rng: Rng): P;
  mutate(rng: Rng, parts: P): P;
  render(parts: P): string;
};

const generators = {
  deb: { random: randomDebParts, mutate: mutateDeb, render: renderDeb } as Generator<DebParts>,
  rpm: { random: randomRpmParts, mutate: mutateRpm, render: renderRpm } as Generator<RpmParts>,
  apk: { random: randomApkParts, mutate: mutateApk, render: renderApk } as Generator<ApkParts>,
};

function pairsFrom<P>(gen: Generator<P>, rng: Rng, count: number): Pair[] {
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const a = gen.random(rng);
    const roll = rng.next();
    let b: P;
    if (roll < 0.1) b = gen.random(rng);
    else if (roll < 0.15) b = a;
    else {
      b = a;
      for (let n = rng.int(1, 3); n > 0; n--) b = gen.mutate(rng, b);
    }
    pairs.push(rng.chance(0.5) ? [gen.render(a), gen.render(b)] : [gen.render(b), gen.render(a)]);
  }
  return pairs;
}

export function versionPairs(scheme: 'deb' | 'rpm' | 'apk', rng: Rng, count: number): Pair[] {
  switch (scheme) {
    case 'deb':
      return pairsFrom(generators.deb, rng, count);
    case 'rpm':
      return pairsFrom(generators.rpm, rng, count);
    case 'apk':
      return pairsFrom(generators.apk, rng, count);
  }
}
