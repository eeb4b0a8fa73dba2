import { describe, expect, it } from 'vitest';
import { compareRpmVersions, parseRpmVersion, rpmvercmp } from '../../../vuln/rpm-version.ts';
import { InvalidVersionError, isValidVersion } from '../../../vuln/versions.ts';
import { readVectors } from './fixtures.ts';
import { seededRng } from './prng.ts';
import { requireTool, rpmspecVerdict, rpmVercmp } from './reference-tools.ts';
import { versionPairs } from './version-corpus.ts';

const SLOW = { timeout: 120_000 };

describe('parseRpmVersion', () => {
  it('accepts E:V-R, E:V, V-R and V', () => {
    expect(parseRpmVersion('1:1.1.1k-17.el8_6')).toEqual({
      epoch: '1',
      version: '1.1.1k',
      release: '17.el8_6',
    });
    expect(parseRpmVersion('0:3.3.1-2.module+el9.4.0+20787+4c237fd3')).toEqual({
      epoch: '0',
      version: '3.3.1',
      release: '2.module+el9.4.0+20787+4c237fd3',
    });
    expect(parseRpmVersion('2:8.2')).toEqual({ epoch: '2', version: '8.2', release: null });
    expect(parseRpmVersion('4.4.0-2.el9')).toEqual({
      epoch: null,
      version: '4.4.0',
      release: '2.el9',
    });
    expect(parseRpmVersion('1.0^20160101git1')).toEqual({
      epoch: null,
      version: '1.0^20160101git1',
      release: null,
    });
    expect(parseRpmVersion('4294967295:1-1').epoch).toBe('4294967295');
  });
});

describe('compareRpmVersions: rpm rules', () => {
  it('sorts ~ before everything and ^ after the base version but before anything else', () => {
    expect(compareRpmVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(compareRpmVersions('1.0~rc1~git1', '1.0~rc1')).toBe(-1);
    expect(compareRpmVersions('1.0^git1', '1.0')).toBe(1);
    expect(compareRpmVersions('1.0^git1', '1.0.1')).toBe(-1);
    expect(compareRpmVersions('1.0^git1', '1.01')).toBe(-1);
    expect(compareRpmVersions('1.0~rc1^git1', '1.0~rc1')).toBe(1);
  });

  it('compares runs: numbers beat letters, by value at any length; separators ignored', () => {
    expect(compareRpmVersions('1.0a', '1.0.1')).toBe(-1);
    expect(compareRpmVersions('1.010', '1.10')).toBe(0);
    expect(compareRpmVersions('1_0', '1.0')).toBe(0);
    expect(compareRpmVersions('1.0', '1.0.0')).toBe(-1);
    expect(compareRpmVersions('1-1.el7', '1-1.el7_9')).toBe(-1);
    const long = '98765432109876543210987654321';
    expect(compareRpmVersions(`1.${long}`, `1.${long.slice(0, -1)}2`)).toBe(-1);
  });

  it('compares the epoch first; a missing epoch is 0, never a wildcard', () => {
    expect(compareRpmVersions('1.0-1', '0:1.0-1')).toBe(0);
    expect(compareRpmVersions('2.0-1', '1:1.5-1')).toBe(-1);
    expect(compareRpmVersions('1.1.1k-17.el8_6', '1:1.1.1k-17.el8_6')).toBe(-1);
    expect(compareRpmVersions('1:9.0.117-1.el9', '1:9.0.62-1.el9')).toBe(1);
    expect(compareRpmVersions('01:1.0-1', '1:1.0-1')).toBe(0);
  });

  it('sorts a missing release before any release (rpmverCmp)', () => {
    expect(compareRpmVersions('1.0', '1.0-1')).toBe(-1);
    expect(compareRpmVersions('1:1.0-0', '1:1.0')).toBe(1);
  });

  it('rpmvercmp handles the empty string and leftovers', () => {
    expect(rpmvercmp('', '')).toBe(0);
    expect(rpmvercmp('1.', '1')).toBe(0);
    expect(rpmvercmp('1a', '1')).toBe(1);
    expect(rpmvercmp('~', '')).toBe(-1);
    expect(rpmvercmp('^', '')).toBe(1);
  });
});

describe('compareRpmVersions against the real rpm (rpm.vercmp)', () => {
  it('fails, never skips, when a reference tool is missing, naming the install command', () => {
    expect(() => requireTool('hostintel-no-such-tool', 'rpm')).toThrow(
      'hostintel-no-such-tool is not installed; these tests compare against the real ' +
        'hostintel-no-such-tool: apt-get install rpm',
    );
  });

  it('agrees on 20,000 random close EVR pairs', SLOW, async () => {
    requireTool('rpm', 'rpm');
    const pairs = versionPairs('rpm', seededRng(19970515), 20_000);
    const all = pairs.flat();
    const count = (test: (v: string) => boolean): number => all.filter(test).length;
    expect(count((v) => /^\d+:/.test(v))).toBeGreaterThan(5000);
    expect(count((v) => v.includes('~'))).toBeGreaterThan(3000);
    expect(count((v) => v.includes('^'))).toBeGreaterThan(3000);
    expect(count((v) => v.includes('+'))).toBeGreaterThan(1000);
    expect(count((v) => /[0-9]{21,}/.test(v))).toBeGreaterThan(1000);
    expect(count((v) => /(^|[^0-9])0[0-9]/.test(v))).toBeGreaterThan(1000);
    expect(count((v) => parseRpmVersion(v).release === null)).toBeGreaterThan(3000);

    const ours = pairs.map(([a, b]) => compareRpmVersions(a, b));
    expect(ours.filter((o) => o === 0).length).toBeGreaterThan(1000);
    const started = Date.now();
    const theirs = await rpmVercmp(pairs);
    console.info(`rpm.vercmp checked 20,000 pairs in ${Date.now() - started} ms`);
    const mismatches = pairs.flatMap(([a, b], i) =>
      theirs[i] === ours[i] ? [] : [`${a} vs ${b}: ours ${ours[i]}, rpm ${theirs[i]}`],
    );
    expect(mismatches).toEqual([]);
  });

  it('agrees with every valid published vector (osv-scalibr); rejects the rest', SLOW, async () => {
    requireTool('rpm', 'rpm');
    const vectors = readVectors('version-compare/rpm__osv-scalibr_redhat-versions.txt');
    expect(vectors).toHaveLength(165);
    const valid = vectors.filter((v) => isValidVersion('rpm', v.a) && isValidVersion('rpm', v.b));
    const invalid = vectors.filter((v) => !valid.includes(v));
    expect(valid).toHaveLength(128);
    expect(valid.filter((v) => compareRpmVersions(v.a, v.b) !== v.expected)).toEqual([]);

    // The 37 others hold strings rpmbuild would refuse: a non-numeric epoch (`a:1`), non-ASCII
    // letters (`1.1.α`), `:` inside a version (`1.m+e2:1`), an empty release (`1-`).
    for (const v of invalid) {
      expect(() => compareRpmVersions(v.a, v.b), v.text).toThrow(InvalidVersionError);
    }
    expect(invalid.map((v) => v.a)).toContain('a:1');
    expect(invalid.map((v) => v.a)).toContain('1.1.α');
    expect(invalid.map((v) => v.a)).toContain('1.m+e2:1');
    expect(invalid.map((v) => v.b)).toContain('1-');

    // rpm itself orders all 165 as the vectors say (so the vectors are right about rpm).
    const theirs = await rpmVercmp(vectors.map((v) => [v.a, v.b]));
    expect(vectors.filter((v, i) => theirs[i] !== v.expected)).toEqual([]);
  });
});

describe('invalid RPM versions', () => {
  // [EVR, rejection reason]. rpm.vercmp orders most of these; rpmbuild refuses each part.
  const invalid: readonly [string, string][] = [
    [':1.0-1', 'epoch is empty'],
    ['4294967296:1.0-1', 'epoch is larger than 4294967295'],
    ['a:1-1', 'illegal character ":" in version'],
    ['(none):1.0-1', 'illegal character "(" in version'],
    ['1.0-', 'release is empty'],
    ['-1', 'version is empty'],
    ['1.0-1-2', 'illegal character "-" in version'],
    ['1.0-1:2', 'illegal character ":" in release'],
    ['1.0..1-1', 'illegal sequence ".." in version'],
    ['1.1.α-1', 'illegal character "α" in version'],
    ['1 0-1', 'illegal character " " in version'],
    ['1.0-1,2', 'illegal character "," in release'],
    ['1.0%{}-1', 'illegal character "%" in version'],
  ];

  it.each(invalid)('%s is rejected (%s), and rpmbuild refuses it too', (evr, reason) => {
    expect(() => parseRpmVersion(evr)).toThrow(InvalidVersionError);
    expect(() => compareRpmVersions(evr, '1.0-1')).toThrow(
      `invalid rpm version ${JSON.stringify(evr)}: ${reason}`,
    );
    expect(() => compareRpmVersions('1.0-1', evr)).toThrow(InvalidVersionError);

    // Split as rpm's parseEVR does, then ask rpmspec about the parts.
    requireTool('rpmspec', 'rpm');
    const epoch = /^([0-9]*):/.exec(evr);
    const rest = epoch ? evr.slice(epoch[0].length) : evr;
    const hyphen = rest.lastIndexOf('-');
    const verdict = rpmspecVerdict(
      epoch ? (epoch[1] ?? '') : null,
      hyphen === -1 ? rest : rest.slice(0, hyphen),
      hyphen === -1 ? '1' : rest.slice(hyphen + 1),
    );
    const refused = verdict.exitCode !== 0 || verdict.stderr.includes('Possible unexpanded macro');
    expect(refused, verdict.stderr).toBe(true);
  });

  it('the empty string is rejected, as rpm.vercmp rejects it', async () => {
    expect(() => parseRpmVersion('')).toThrow('invalid rpm version "": version string is empty');
    requireTool('rpm', 'rpm');
    expect(await rpmVercmp([['', '1.0']])).toEqual(['error']);
  });
});
