import { describe, expect, it } from 'vitest';
import {
  assertValidVersion,
  compareVersions,
  InvalidVersionError,
  isValidVersion,
  versionSchemes,
} from '../../../vuln/versions.ts';

describe('compareVersions', () => {
  it('knows exactly the deb, rpm and apk schemes', () => {
    expect(versionSchemes).toEqual(['deb', 'rpm', 'apk']);
  });

  it('refuses an unknown scheme at run time', () => {
    expect(() => compareVersions('zip' as never, '1', '1')).toThrow('unknown version scheme "zip"');
  });

  it('dispatches to the scheme: the same strings order differently per scheme', () => {
    // `~` is below the end for dpkg and rpm; apk reads `~` as a commit hash after the version.
    expect(compareVersions('deb', '1.0~rc1', '1.0')).toBe(-1);
    expect(compareVersions('rpm', '1.0~rc1', '1.0')).toBe(-1);
    // A missing revision equals -0 for dpkg, but sorts before any release for rpm.
    expect(compareVersions('deb', '1.0', '1.0-0')).toBe(0);
    expect(compareVersions('rpm', '1.0', '1.0-0')).toBe(-1);
    // `1.0a` vs `1.0.1`: dpkg compares `a` with `.`, apk/rpm a letter with a number.
    expect(compareVersions('deb', '1.0a', '1.0.1')).toBe(-1);
    expect(compareVersions('apk', '1.0a', '1.0.1')).toBe(-1);
    expect(compareVersions('apk', '1.2_rc1', '1.2')).toBe(-1);
    expect(compareVersions('deb', '1.2-r1', '1.2-r0')).toBe(1);
  });

  it('throws InvalidVersionError naming the scheme and the string, for either side', () => {
    for (const [scheme, bad] of [
      ['deb', 'v1.0'],
      ['rpm', 'a:1'],
      ['apk', '1.0-1'],
    ] as const) {
      const message = `invalid ${scheme} version ${JSON.stringify(bad)}`;
      expect(() => compareVersions(scheme, bad, '1.0')).toThrow(message);
      expect(() => compareVersions(scheme, '1.0', bad)).toThrow(message);
      let caught: unknown;
      try {
        compareVersions(scheme, bad, '1.0');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidVersionError);
      expect(caught).toMatchObject({ name: 'InvalidVersionError', scheme, version: bad });
      expect(isValidVersion(scheme, bad)).toBe(false);
      expect(() => assertValidVersion(scheme, bad)).toThrow(InvalidVersionError);
    }
  });
});
