// The packages collector: installed packages from whichever of dpkg, rpm, apk and pacman the
// host uses. Each manager's command and parser live in packages-<manager>.ts.
import { UnsupportedError } from './errors.ts';
import { APK_COMMAND, parseApkInstalled } from './packages-apk.ts';
import { DPKG_COMMAND, parseDpkgQuery } from './packages-dpkg.ts';
import { PACMAN_COMMAND, parsePacmanDesc } from './packages-pacman.ts';
import { parseRpmQuery, RPM_COMMAND } from './packages-rpm.ts';
import { NOT_FOUND, okOutput } from './section.ts';
import type { Collector, CollectorOutput, Fact, Sections } from './types.ts';

export const packageManagers = ['dpkg', 'rpm', 'apk', 'pacman'] as const;
export type PackageManager = (typeof packageManagers)[number];

export type PackageFact = {
  /** Without dpkg's `:arch` qualifier; the architecture is `arch`. */
  readonly name: string;
  /** null when the package has none (dpkg and pacman: absent; rpm: `(none)`; apk: always). */
  readonly epoch: number | null;
  /** Upstream version: dpkg's upstream part, rpm VERSION, apk/pacman pkgver. */
  readonly version: string;
  /** dpkg revision, rpm RELEASE, apk `rN`, pacman pkgrel; null when there is none. */
  readonly release: string | null;
  /** As the manager spells it: amd64/all (dpkg), x86_64/noarch (rpm), x86_64/any (pacman). */
  readonly arch: string;
  /** The full version exactly as the manager compares it: dpkg Version, rpm [E:]V-R, apk pkgver. */
  readonly evr: string;
  /** Source package (dpkg source, rpm SOURCERPM, apk origin, pacman base). */
  readonly source: { readonly name: string; readonly version: string } | null;
  readonly manager: PackageManager;
  /** rpm only. */
  readonly vendor?: string | null;
  /** rpm only: seconds since the epoch; changes only when the package is (re)installed. */
  readonly installTime?: number | null;
};

export const PACKAGE_KIND = 'package';

const sources = [
  { id: 'packages.dpkg', parse: parseDpkgQuery },
  { id: 'packages.rpm', parse: parseRpmQuery },
  { id: 'packages.apk', parse: parseApkInstalled },
  { id: 'packages.pacman', parse: parsePacmanDesc },
] as const;

export const packagesCollector: Collector = {
  name: 'packages',
  description: 'Installed packages (dpkg, rpm, apk, pacman) with epoch, version, release, arch',
  kinds: [PACKAGE_KIND],
  commands: [
    { id: 'packages.dpkg', command: DPKG_COMMAND, why: 'Installed Debian/Ubuntu packages' },
    {
      id: 'packages.rpm',
      command: RPM_COMMAND,
      why: 'Installed RPM packages (only where an rpm database exists)',
    },
    { id: 'packages.apk', command: APK_COMMAND, why: 'Installed Alpine packages (apk database)' },
    {
      id: 'packages.pacman',
      command: PACMAN_COMMAND,
      why: 'Installed Arch packages (pacman local database)',
    },
  ],
  parse: parsePackages,
};

/**
 * Every manager present on the host must answer (a failing one throws: its packages would
 * otherwise read as removed); those that answer with an empty list are ignored, e.g. the rpm
 * tool on a Debian host. No manager with packages at all is `unsupported`, never an empty list.
 */
function parsePackages(sections: Sections): CollectorOutput {
  const found: PackageFact[] = [];
  for (const source of sources) {
    if (sections.get(source.id)?.exitCode === NOT_FOUND) continue;
    found.push(...source.parse(okOutput(sections, source.id)));
  }
  if (found.length === 0) {
    throw new UnsupportedError('no package manager (dpkg, rpm, apk, pacman) reported packages');
  }
  return { facts: packageFacts(found) };
}

// rpm packages that dnf/yum keep several versions of side by side (installonlypkgs). They are
// always keyed with their version so that installing a second kernel does not re-key the first.
const INSTALL_ONLY =
  /^kernel(-(uek|rt|64k|PAE|lt|ml|debug))?(-(core|modules(-core|-extra)?|devel))?$/;

/**
 * Key `name:arch`; `name:arch:evr` where one name and arch is installed in several versions
 * (rpm kernels), so keys stay unique. Sorted by key so an unchanged host yields the same list.
 */
export function packageFacts(packages: readonly PackageFact[]): Fact<PackageFact>[] {
  const perNameArch = new Map<string, number>();
  for (const pkg of packages) {
    const key = `${pkg.name}:${pkg.arch}`;
    perNameArch.set(key, (perNameArch.get(key) ?? 0) + 1);
  }
  const facts = new Map<string, Fact<PackageFact>>();
  for (const pkg of packages) {
    const nameArch = `${pkg.name}:${pkg.arch}`;
    const versioned =
      (perNameArch.get(nameArch) ?? 0) > 1 ||
      (pkg.manager === 'rpm' && INSTALL_ONLY.test(pkg.name));
    const key = versioned ? `${nameArch}:${pkg.evr}` : nameArch;
    // The same name-version-arch twice (an rpm database with duplicate entries): one is kept,
    // the one that sorts first, so the choice does not depend on the database's order.
    const previous = facts.get(key);
    if (previous && JSON.stringify(previous.value) <= JSON.stringify(pkg)) continue;
    facts.set(key, { kind: PACKAGE_KIND, key, value: pkg });
  }
  return [...facts.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
