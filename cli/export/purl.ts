// Package URLs (purl-spec) for installed OS packages. Canonical form: every character but
// letters, digits, `.-_~` and `:` is percent-encoded (so `+` is %2B), qualifiers sorted by key,
// empty qualifiers left out, namespace lowercased, and names lowercased where the type says
// they are case-insensitive (deb, apk, alpm).
import type { PackageFact } from '../../collectors/packages.ts';

export interface Purl {
  type: string;
  namespace: string | null;
  name: string;
  version: string | null;
  qualifiers: Record<string, string>;
}

/** Where a deb epoch goes: the purl-spec's deb type keeps it in the version (`1:2.4-1`). */
export type DebEpochStyle = 'version' | 'qualifier';

const CASE_INSENSITIVE_NAMES = new Set(['deb', 'apk', 'alpm']);

export function encodeComponent(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9.\-_~:]/.test(ch)
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function formatPurl(purl: Purl): string {
  const name = CASE_INSENSITIVE_NAMES.has(purl.type) ? purl.name.toLowerCase() : purl.name;
  let out = `pkg:${purl.type}/`;
  if (purl.namespace) out += `${encodeComponent(purl.namespace.toLowerCase())}/`;
  out += encodeComponent(name);
  if (purl.version) out += `@${encodeComponent(purl.version)}`;
  const qualifiers = Object.entries(purl.qualifiers)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key.toLowerCase()}=${encodeComponent(value)}`);
  if (qualifiers.length > 0) out += `?${qualifiers.join('&')}`;
  return out;
}

/** The distro qualifier: `<os id>-<version id>`, e.g. debian-12, ubuntu-22.04, rocky-9.4. */
export function distroQualifier(os: { id: string; versionId: string | null } | null): string {
  if (!os) return '';
  return os.versionId ? `${os.id}-${os.versionId}` : os.id;
}

/** The purl of an installed package, or null for pseudo-packages that are not software. */
export function packagePurl(
  pkg: PackageFact,
  os: { id: string; versionId: string | null } | null,
  options: { debEpoch?: DebEpochStyle } = {},
): Purl | null {
  const distro = distroQualifier(os);
  const namespace = os?.id ?? null;
  const epoch = pkg.epoch === null ? '' : String(pkg.epoch);
  const upstreamRelease = pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version;
  switch (pkg.manager) {
    case 'dpkg': {
      const inVersion = (options.debEpoch ?? 'version') === 'version' && epoch !== '';
      return {
        type: 'deb',
        namespace: namespace ?? 'debian',
        name: pkg.name,
        version: inVersion ? `${epoch}:${upstreamRelease}` : upstreamRelease,
        qualifiers: { arch: pkg.arch, distro, epoch: inVersion ? '' : epoch },
      };
    }
    case 'rpm':
      // rpm's database lists imported signing keys as packages named gpg-pubkey.
      if (pkg.name === 'gpg-pubkey') return null;
      return {
        type: 'rpm',
        namespace,
        name: pkg.name,
        version: upstreamRelease,
        qualifiers: { arch: pkg.arch, distro, epoch },
      };
    case 'apk':
      return {
        type: 'apk',
        namespace: namespace ?? 'alpine',
        name: pkg.name,
        version: pkg.evr,
        qualifiers: { arch: pkg.arch, distro },
      };
    case 'pacman':
      return {
        type: 'alpm',
        namespace: namespace ?? 'arch',
        name: pkg.name,
        version: pkg.evr,
        qualifiers: { arch: pkg.arch, distro },
      };
  }
}
