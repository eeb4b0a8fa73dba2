// One entry point for version comparison: dispatches to the scheme's own rules. Each scheme
// follows its package manager exactly (see deb-version.ts, rpm-version.ts, apk-version.ts).
import { compareApkVersions, parseApkVersion } from './apk-version.ts';
import { compareDebVersions, parseDebVersion } from './deb-version.ts';
import { compareRpmVersions, parseRpmVersion } from './rpm-version.ts';
import { InvalidVersionError, type Ordering, type VersionScheme } from './version-scheme.ts';

export {
  InvalidVersionError,
  type Ordering,
  type VersionScheme,
  versionSchemes,
} from './version-scheme.ts';

/**
 * -1 when a is older than b, 0 when the scheme considers them equal (e.g. deb `1.0` and `0:1.0-0`),
 * 1 when a is newer. Throws InvalidVersionError when either string is not a valid version.
 */
export function compareVersions(scheme: VersionScheme, a: string, b: string): Ordering {
  switch (scheme) {
    case 'deb':
      return compareDebVersions(a, b);
    case 'rpm':
      return compareRpmVersions(a, b);
    case 'apk':
      return compareApkVersions(a, b);
    default:
      throw new Error(`unknown version scheme ${JSON.stringify(scheme satisfies never)}`);
  }
}

/** Throws InvalidVersionError when `version` is not a valid version of the scheme. */
export function assertValidVersion(scheme: VersionScheme, version: string): void {
  switch (scheme) {
    case 'deb':
      parseDebVersion(version);
      return;
    case 'rpm':
      parseRpmVersion(version);
      return;
    case 'apk':
      parseApkVersion(version);
      return;
    default:
      throw new Error(`unknown version scheme ${JSON.stringify(scheme satisfies never)}`);
  }
}

export function isValidVersion(scheme: VersionScheme, version: string): boolean {
  try {
    assertValidVersion(scheme, version);
    return true;
  } catch (error) {
    if (error instanceof InvalidVersionError) return false;
    throw error;
  }
}
