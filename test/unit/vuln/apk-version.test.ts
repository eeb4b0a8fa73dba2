// apk-tools is not packaged for Debian 12, so unlike dpkg and rpm there is no real apk to ask
// here: the order is pinned by apk-tools' own vectors (via osv-scalibr), hand-checked cases
// from apk-tools' src/version.c, and the algebra any total order must satisfy.
import { describe, expect, it } from 'vitest';
import {
  compareApkVersions,
  compareParsedApk,
  parseApkVersion,
} from '../../../vuln/apk-version.ts';
import { InvalidVersionError, isValidVersion } from '../../../vuln/versions.ts';
import { readVectors } from './fixtures.ts';
import { seededRng } from './prng.ts';
import { versionPairs } from './version-corpus.ts';

describe('parseApkVersion', () => {
  it('splits version, commit hash and revision', () => {
    const parsed = parseApkVersion('1.2.3_p1~abc12-r4');
    expect(parsed.version).toBe('1.2.3_p1');
    expect(parsed.commitHash).toBe('abc12');
    expect(parsed.revision).toBe('4');
    expect(parsed.tokens.map((t) => `${t.kind}:${t.value}`)).toEqual([
      'initial-digit:1',
      'digit:2',
      'digit:3',
      'suffix:p',
      'suffix-number:1',
      'commit-hash:abc12',
      'revision:4',
      'end:',
    ]);
    expect(parseApkVersion('10.4.25-r0')).toMatchObject({
      version: '10.4.25',
      commitHash: null,
      revision: '0',
    });
    expect(parseApkVersion('2.3.0b')).toMatchObject({ version: '2.3.0b', revision: null });
  });
});

describe('compareApkVersions: apk-tools rules', () => {
  it('orders pre-release suffixes below the release and post-release ones above', () => {
    const ascending = [
      '1.2_alpha',
      '1.2_alpha1',
      '1.2_beta',
      '1.2_pre2',
      '1.2_rc1',
      '1.2',
      '1.2-r0',
      '1.2-r1',
      '1.2_cvs1',
      '1.2_svn1',
      '1.2_git1',
      '1.2_hg1',
      '1.2_p1',
      '1.2_p2',
      '1.2a',
      '1.2.0',
      '1.2.1',
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      const [lower, higher] = [ascending[i] ?? '', ascending[i + 1] ?? ''];
      expect(compareApkVersions(lower, higher), `${lower} < ${higher}`).toBe(-1);
      expect(compareApkVersions(higher, lower), `${higher} > ${lower}`).toBe(1);
    }
  });

  it('compares a dotted number with a leading zero as a string', () => {
    expect(compareApkVersions('1.07', '1.1')).toBe(-1);
    expect(compareApkVersions('1.2.07.8', '1.2.12.04')).toBe(-1);
    expect(compareApkVersions('1.01', '1.001')).toBe(1);
    // ...but the first number, suffix numbers and revisions as numbers.
    expect(compareApkVersions('006', '1.0.0')).toBe(1);
    expect(compareApkVersions('1.0_p010', '1.0_p9')).toBe(1);
    expect(compareApkVersions('1.0-r010', '1.0-r10')).toBe(0);
  });

  it('handles numbers longer than any machine integer', () => {
    const long = '1234567890123456789012345';
    expect(compareApkVersions(`${long}.1`, `${long}.2`)).toBe(-1);
    expect(compareApkVersions(`1.${long}`, `1.${long.slice(0, -1)}4`)).toBe(1);
  });

  it('orders a missing revision below -r0, and the fixed boundary exactly', () => {
    expect(compareApkVersions('10.4.25', '10.4.25-r0')).toBe(-1);
    expect(compareApkVersions('10.4.24-r9', '10.4.25-r0')).toBe(-1);
    expect(compareApkVersions('10.4.25-r0', '10.4.25-r0')).toBe(0);
    expect(compareApkVersions('10.4.25-r1', '10.4.25-r0')).toBe(1);
  });
});

describe('the published vectors (apk-tools test data via osv-scalibr)', () => {
  const vectors = readVectors('version-compare/apk__osv-scalibr_alpine-versions.txt');
  const valid = vectors.filter((v) => isValidVersion('apk', v.a) && isValidVersion('apk', v.b));
  const invalid = vectors.filter((v) => !valid.includes(v));

  it('every valid vector agrees', () => {
    expect(vectors).toHaveLength(778);
    expect(valid).toHaveLength(741);
    expect(valid.filter((v) => compareApkVersions(v.a, v.b) !== v.expected)).toEqual([]);
  });

  it('the others hold strings apk-tools 3 refuses (and 2.x and 3.x order differently)', () => {
    expect(invalid).toHaveLength(37);
    for (const v of invalid) {
      expect(() => compareApkVersions(v.a, v.b), v.text).toThrow(InvalidVersionError);
    }
    expect(invalid.map((v) => v.text)).toEqual(
      expect.arrayContaining(['1-r = 1-r0', '1.2 > 1.2_blah', 'a < b', '6.6.2p1 = 6.6.2p1']),
    );
  });
});

describe('invalid Alpine versions', () => {
  const invalid: readonly [string, string][] = [
    ['', 'does not start with a digit'],
    ['a', 'does not start with a digit'],
    ['.1', 'does not start with a digit'],
    ['1..2', 'expected digits at "..2"'],
    ['1.', 'expected digits at "."'],
    ['1.2A', 'unexpected character "A"'],
    ['1.2ab', 'a letter may only follow a number'],
    ['1.2a.1', 'a dotted number may not follow'],
    ['6.6.2p1', 'unexpected digit'],
    ['1.2_blah', 'unknown suffix "_blah"'],
    ['1.2_', 'unknown suffix "_"'],
    ['1.2_constructor', 'unknown suffix "_constructor"'],
    ['1-r', 'expected digits after "-r"'],
    ['1-r1-r2', 'a second revision'],
    ['1-1', 'expected "-r<number>"'],
    ['1:1.0', 'unexpected character ":"'],
    ['1.0~', 'expected lowercase hex digits'],
    ['1.0~XYZ', 'expected lowercase hex digits'],
    ['1.0-r1_p1', 'a suffix may not follow'],
    ['1.0 ', 'unexpected character " "'],
  ];

  it.each(invalid)('%j is rejected (%s)', (version, reason) => {
    expect(() => parseApkVersion(version)).toThrow(InvalidVersionError);
    expect(() => compareApkVersions(version, '1.0')).toThrow(reason);
    expect(() => compareApkVersions('1.0', version)).toThrow(
      `invalid apk version ${JSON.stringify(version)}`,
    );
  });
});

describe('the apk order on 10,000 random close pairs', () => {
  const pairs = versionPairs('apk', seededRng(33), 10_000);
  const parsed = new Map(pairs.flat().map((v) => [v, parseApkVersion(v)] as const));
  const cmp = (a: string, b: string): number => {
    const pa = parsed.get(a);
    const pb = parsed.get(b);
    if (!pa || !pb) throw new Error('unparsed');
    return compareParsedApk(pa, pb);
  };

  it('exercises suffixes, letters, revisions, hashes, leading zeros and long numbers', () => {
    const all = [...parsed.keys()];
    const count = (test: (v: string) => boolean): number => all.filter(test).length;
    expect(all.length).toBeGreaterThan(5000);
    expect(count((v) => /_(alpha|beta|pre|rc)/.test(v))).toBeGreaterThan(500);
    expect(count((v) => /_(cvs|svn|git|hg|p)/.test(v))).toBeGreaterThan(500);
    expect(count((v) => /[0-9][a-z]($|[_~-])/.test(v))).toBeGreaterThan(300);
    expect(count((v) => v.includes('-r'))).toBeGreaterThan(2000);
    expect(count((v) => v.includes('~'))).toBeGreaterThan(100);
    expect(count((v) => /\.0[0-9]/.test(v))).toBeGreaterThan(500);
    expect(count((v) => /[0-9]{21,}/.test(v))).toBeGreaterThan(500);
  });

  it('is antisymmetric and reflexive on every pair', () => {
    const broken = pairs.filter(([a, b]) => cmp(a, b) !== -cmp(b, a) || cmp(a, a) !== 0);
    expect(broken).toEqual([]);
  });

  it('sorts consistently: any two versions of the sorted corpus are in order (transitive)', () => {
    const sorted = [...parsed.keys()].sort(cmp);
    const rng = seededRng(7);
    // A non-transitive order leaves the sort with out-of-order pairs; sample 20,000 of them.
    for (let n = 0; n < 20_000; n++) {
      const i = rng.int(0, sorted.length - 1);
      const j = rng.int(i, sorted.length - 1);
      const a = sorted[i] ?? '';
      const b = sorted[j] ?? '';
      expect(cmp(a, b), `${a} <= ${b}`).toBeLessThanOrEqual(0);
    }
  });
});
