import { describe, expect, it } from 'vitest';
import { compareDebVersions, parseDebVersion, verrevcmp } from '../../../vuln/deb-version.ts';
import { InvalidVersionError } from '../../../vuln/versions.ts';
import { readVectors } from './fixtures.ts';
import { seededRng } from './prng.ts';
import { dpkgConfirms, dpkgOrder, dpkgSyntax, relationOf, requireTool } from './reference-tools.ts';
import { type Pair, versionPairs } from './version-corpus.ts';

const SLOW = { timeout: 120_000 };

/** Our answers for the pairs, checked by dpkg; returns the disagreements, readable. */
async function disagreementsWithDpkg(pairs: readonly Pair[]): Promise<{
  mismatches: string[];
  stderr: string;
  elapsedMs: number;
}> {
  requireTool('dpkg', 'dpkg');
  const ours = pairs.map(([a, b]) => compareDebVersions(a, b));
  const started = Date.now();
  const { failed, stderr } = await dpkgConfirms(pairs, ours.map(relationOf));
  const elapsedMs = Date.now() - started;
  const mismatches = failed.map((i) => {
    const [a, b] = pairs[i] ?? ['', ''];
    return `${a} vs ${b}: ours ${ours[i]}, dpkg ${dpkgOrder(a, b)}`;
  });
  return { mismatches, stderr, elapsedMs };
}

describe('parseDebVersion', () => {
  it('splits epoch, upstream and revision at the first colon and the last hyphen', () => {
    expect(parseDebVersion('1:2.30-1ubuntu3')).toEqual({
      epoch: 1,
      upstream: '2.30',
      revision: '1ubuntu3',
    });
    expect(parseDebVersion('2.7.4+reloaded2-13+deb9u1')).toEqual({
      epoch: null,
      upstream: '2.7.4+reloaded2',
      revision: '13+deb9u1',
    });
    expect(parseDebVersion('1:2:3-a-b')).toEqual({ epoch: 1, upstream: '2:3-a', revision: 'b' });
    expect(parseDebVersion('5:20.10.7~3-0~debian-buster')).toEqual({
      epoch: 5,
      upstream: '20.10.7~3-0~debian',
      revision: 'buster',
    });
    expect(parseDebVersion('1.0')).toEqual({ epoch: null, upstream: '1.0', revision: null });
    expect(parseDebVersion('2147483647:1').epoch).toBe(2_147_483_647);
  });
});

describe('compareDebVersions: dpkg rules', () => {
  it('sorts ~ before everything, even the end of the string', () => {
    expect(compareDebVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(compareDebVersions('1.0~~', '1.0~')).toBe(-1);
    expect(compareDebVersions('1.0~', '1.0')).toBe(-1);
    expect(compareDebVersions('1.2.3-1~bpo12+1', '1.2.3-1')).toBe(-1);
  });

  it('sorts the end before letters, and letters before other characters', () => {
    expect(compareDebVersions('1.0', '1.0a')).toBe(-1);
    expect(compareDebVersions('1.0a', '1.0+')).toBe(-1);
    expect(compareDebVersions('1.0Z', '1.0a')).toBe(-1);
    expect(compareDebVersions('1.0+', '1.0.')).toBe(-1);
    expect(compareDebVersions('2.7.4+reloaded2-13ubuntu1', '2.7.4+reloaded2-13+deb9u1')).toBe(-1);
  });

  it('compares digit runs as numbers: leading zeros ignored, any length', () => {
    expect(compareDebVersions('1.010', '1.10')).toBe(0);
    expect(compareDebVersions('9.0.62', '9.0.117')).toBe(-1);
    const long = '123456789012345678901234567890';
    expect(compareDebVersions(`1.${long}`, `1.${long.slice(0, -1)}1`)).toBe(-1);
    expect(compareDebVersions(`1.0000${long}`, `1.${long}`)).toBe(0);
    expect(compareDebVersions(`1.${long}9`, `1.${long}`)).toBe(1);
  });

  it('treats a missing revision as -0 and a missing epoch as 0:', () => {
    expect(compareDebVersions('1.0', '1.0-0')).toBe(0);
    expect(compareDebVersions('1.0', '1.0-00')).toBe(0);
    expect(compareDebVersions('1.0', '1.0-1')).toBe(-1);
    expect(compareDebVersions('1.0', '0:1.0')).toBe(0);
    expect(compareDebVersions('9.9', '1:0.1')).toBe(-1);
    expect(compareDebVersions('1:9.0.117-1', '1:9.0.62-1')).toBe(1);
  });

  it('verrevcmp works on an empty side', () => {
    expect(verrevcmp('', '')).toBe(0);
    expect(verrevcmp('', '0')).toBe(0);
    expect(verrevcmp('', '~')).toBe(1);
    expect(verrevcmp('', 'a')).toBe(-1);
  });
});

describe('compareDebVersions against the real dpkg', () => {
  it('agrees with dpkg --compare-versions on 10,000 random close pairs', SLOW, async () => {
    const pairs = versionPairs('deb', seededRng(20240611), 10_000);
    expect(pairs).toHaveLength(10_000);
    // The corpus really contains the tricky shapes (counted over both sides of every pair).
    const all = pairs.flat();
    const count = (test: (v: string) => boolean): number => all.filter(test).length;
    expect(count((v) => /^\d+:/.test(v))).toBeGreaterThan(2000);
    expect(count((v) => v.includes('~'))).toBeGreaterThan(2000);
    expect(count((v) => v.includes('+'))).toBeGreaterThan(1000);
    expect(count((v) => /[0-9]{21,}/.test(v))).toBeGreaterThan(1000);
    expect(count((v) => /(^|[^0-9])0[0-9]/.test(v))).toBeGreaterThan(1000);
    expect(count((v) => parseDebVersion(v).revision === null)).toBeGreaterThan(2000);
    expect(count((v) => /[A-Z]/.test(v))).toBeGreaterThan(500);
    expect(count((v) => parseDebVersion(v).upstream.includes(':'))).toBeGreaterThan(100);
    expect(count((v) => parseDebVersion(v).upstream.includes('-'))).toBeGreaterThan(100);
    const orders = pairs.map(([a, b]) => compareDebVersions(a, b));
    expect(orders.filter((o) => o === 0).length).toBeGreaterThan(500);

    const { mismatches, stderr, elapsedMs } = await disagreementsWithDpkg(pairs);
    console.info(`dpkg checked 10,000 pairs in ${elapsedMs} ms`);
    expect(mismatches).toEqual([]);
    // dpkg warns about bad syntax on stderr: none means every generated version is valid.
    expect(stderr).toBe('');
  });

  it('agrees with every published vector (osv-scalibr)', () => {
    const handWritten = readVectors('version-compare/dpkg__osv-scalibr_debian-versions.txt');
    const generated = readVectors(
      'version-compare/dpkg__osv-scalibr_debian-versions-generated.txt',
    );
    expect(handWritten).toHaveLength(30);
    expect(generated).toHaveLength(6138);
    const wrong = [...handWritten, ...generated]
      .filter((v) => compareDebVersions(v.a, v.b) !== v.expected)
      .map((v) => v.text);
    expect(wrong).toEqual([]);
  });

  it('and dpkg agrees with the hand-written vectors too', SLOW, async () => {
    const vectors = readVectors('version-compare/dpkg__osv-scalibr_debian-versions.txt');
    const { mismatches, stderr } = await disagreementsWithDpkg(vectors.map((v) => [v.a, v.b]));
    expect(mismatches).toEqual([]);
    expect(stderr).toBe('');
  });
});

describe('invalid Debian versions', () => {
  // Each is refused by dpkg (exit 2) or flagged "has bad syntax" (a warning dpkg-deb turns into
  // an error); none is ever ordered.
  const invalid: readonly [string, string][] = [
    ['1:', 'nothing after colon in version number'],
    [':1.0', 'epoch in version is empty'],
    ['x:1.0', 'epoch in version is not number'],
    ['1.0-a:b', 'epoch in version is not number'],
    ['2147483648:1.0', 'epoch in version is too big'],
    ['99999999999999999999:1.0', 'epoch in version is too big'],
    ['1.0-', 'revision number is empty'],
    ['1:-1', 'version number is empty'],
    ['1 0', 'version string contains whitespace'],
    ['a1.0', 'version number does not start with digit'],
    ['~1.0', 'version number does not start with digit'],
    ['.1', 'version number does not start with digit'],
    ['1.0_1', 'invalid character in version number'],
    ['1.0@2', 'invalid character in version number'],
    ['1,0', 'invalid character in version number'],
    ['1é', 'invalid character in version number'],
    ['1.0-1_2', 'invalid character in revision number'],
    ['1:1.0-1:2', 'invalid character in revision number'],
    ['1.0-1/2', 'invalid character in revision number'],
  ];

  it.each(invalid)('%s is rejected (%s), and dpkg agrees', (version, reason) => {
    expect(() => parseDebVersion(version)).toThrow(InvalidVersionError);
    expect(() => compareDebVersions(version, '1.0')).toThrow(
      `invalid deb version ${JSON.stringify(version)}: ${reason}`,
    );
    expect(() => compareDebVersions('1.0', version)).toThrow(InvalidVersionError);
    requireTool('dpkg', 'dpkg');
    const dpkg = dpkgSyntax(version);
    expect(dpkg.exitCode === 2 || dpkg.stderr.includes('has bad syntax')).toBe(true);
  });

  // dpkg's parser is laxer than its own rules here; we reject these too (documented).
  it.each([' 1.0', '1.0 ', '+1:2.0', '', '<unknown>'])(
    '%j is rejected although dpkg --compare-versions takes it silently',
    (version) => {
      expect(() => parseDebVersion(version)).toThrow(InvalidVersionError);
      requireTool('dpkg', 'dpkg');
      const dpkg = dpkgSyntax(version);
      expect([0, 1]).toContain(dpkg.exitCode);
      expect(dpkg.stderr).toBe('');
    },
  );
});
