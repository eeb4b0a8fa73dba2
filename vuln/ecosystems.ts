// OSV ecosystem strings of Linux distributions, both ways: what an advisory's
// affected[].package.ecosystem means (distribution, release, version scheme, whether the package
// names are source or binary names), and which ecosystem strings apply to a host given its
// os-release. Unknown input gives an `unsupported` result with a reason, never a throw.
//
// Package names. Debian and Ubuntu advisories name SOURCE packages (`Source:` of dpkg-query, the
// same versions), Alpine's come from secdb and name the aports ORIGIN (apk's `o:`), while
// AlmaLinux, Rocky, Red Hat and SUSE name BINARY rpm packages.
import type { VersionScheme } from './version-scheme.ts';

export const distros = [
  'debian',
  'ubuntu',
  'alpine',
  'almalinux',
  'rocky',
  'rhel',
  'opensuse-leap',
  'opensuse-tumbleweed',
  'sles',
] as const;
export type Distro = (typeof distros)[number];

export type Unsupported = { readonly supported: false; readonly reason: string };

export type OsvEcosystem = {
  readonly supported: true;
  readonly ecosystem: string;
  readonly distro: Distro;
  /**
   * The release line as the host's os-release names it: '12' (Debian), '22.04' (Ubuntu),
   * '3.19' (Alpine), '9' (AlmaLinux, Rocky, Red Hat; '9.2' for a Red Hat EUS stream),
   * '15.4' (openSUSE Leap), '15.5' (SLES 15 SP5), 'tumbleweed'.
   */
  readonly release: string;
  readonly scheme: VersionScheme;
  /** true: package names are source (deb) or origin (apk) names; false: binary rpm names. */
  readonly namesSource: boolean;
  /**
   * A stream on top of the release, or null for the release's own archive: Ubuntu 'Pro' (ESM),
   * 'Pro:FIPS', 'Pro:FIPS-updates', 'Pro:Realtime:Kernel'...; Red Hat's 'product::repository'
   * (e.g. 'enterprise_linux::appstream'); SUSE 'LTSS'.
   */
  readonly variant: string | null;
};

const SCHEMES: Readonly<Record<Distro, { scheme: VersionScheme; namesSource: boolean }>> = {
  debian: { scheme: 'deb', namesSource: true },
  ubuntu: { scheme: 'deb', namesSource: true },
  alpine: { scheme: 'apk', namesSource: true },
  almalinux: { scheme: 'rpm', namesSource: false },
  rocky: { scheme: 'rpm', namesSource: false },
  rhel: { scheme: 'rpm', namesSource: false },
  'opensuse-leap': { scheme: 'rpm', namesSource: false },
  'opensuse-tumbleweed': { scheme: 'rpm', namesSource: false },
  sles: { scheme: 'rpm', namesSource: false },
};

function known(
  ecosystem: string,
  distro: Distro,
  release: string,
  variant: string | null = null,
): OsvEcosystem {
  return { supported: true, ecosystem, distro, release, variant, ...SCHEMES[distro] };
}

const unsupported = (reason: string): Unsupported => ({ supported: false, reason });

const UBUNTU_RELEASE = /^\d{1,2}\.\d{2}$/;
const UBUNTU_LABEL = /^[A-Za-z][A-Za-z0-9-]*$/;

type Rule = readonly [RegExp, (m: RegExpExecArray, ecosystem: string) => OsvEcosystem];

const rules: readonly Rule[] = [
  [/^Debian:(\d+(?:\.\d+)?)$/, (m, e) => known(e, 'debian', m[1] ?? '')],
  [/^Alpine:v(\d+\.\d+)$/, (m, e) => known(e, 'alpine', m[1] ?? '')],
  [/^AlmaLinux:(\d+)$/, (m, e) => known(e, 'almalinux', m[1] ?? '')],
  [/^Rocky Linux:(\d+)$/, (m, e) => known(e, 'rocky', m[1] ?? '')],
  // Red Hat's ecosystems are its CPEs: Red Hat:<product>:<version>::<repository>.
  [
    /^Red Hat:([a-z0-9_]+):(\d+(?:\.\d+)*)(?:::([a-z0-9_]+))?$/,
    (m, e) => known(e, 'rhel', m[2] ?? '', `${m[1]}::${m[3] ?? ''}`),
  ],
  [/^openSUSE:Leap (\d+\.\d+)$/, (m, e) => known(e, 'opensuse-leap', m[1] ?? '')],
  [/^openSUSE:Tumbleweed$/, (_m, e) => known(e, 'opensuse-tumbleweed', 'tumbleweed')],
  [
    /^SUSE:Linux Enterprise Server (\d+)(?: SP(\d+))?(?:-(LTSS))?$/,
    (m, e) => known(e, 'sles', `${m[1]}.${m[2] ?? '0'}`, m[3] ?? null),
  ],
];

/** What an OSV `affected[].package.ecosystem` string says about the packages it names. */
export function parseOsvEcosystem(ecosystem: string): OsvEcosystem | Unsupported {
  if (ecosystem.startsWith('Ubuntu:')) return parseUbuntu(ecosystem);
  for (const [pattern, build] of rules) {
    const m = pattern.exec(ecosystem);
    if (m) return build(m, ecosystem);
  }
  return unsupported(`OSV ecosystem ${JSON.stringify(ecosystem)} is not a supported distribution`);
}

/**
 * Ubuntu:<release>[:LTS], Ubuntu:Pro:<release>:LTS (ESM), Ubuntu:Pro:FIPS[-updates|-preview]:
 * <release>:LTS, Ubuntu:Pro:<release>:LTS:Realtime:Kernel... The variant is every label but
 * the release and 'LTS' (which only says what the release is).
 */
function parseUbuntu(ecosystem: string): OsvEcosystem | Unsupported {
  const labels = ecosystem.split(':').slice(1);
  const releases = labels.filter((label) => UBUNTU_RELEASE.test(label));
  const others = labels.filter((label) => !UBUNTU_RELEASE.test(label) && label !== 'LTS');
  const release = releases[0];
  if (releases.length !== 1 || release === undefined) {
    return unsupported(`Ubuntu ecosystem ${JSON.stringify(ecosystem)} names no single release`);
  }
  if (!others.every((label) => UBUNTU_LABEL.test(label))) {
    return unsupported(`Ubuntu ecosystem ${JSON.stringify(ecosystem)} is malformed`);
  }
  return known(ecosystem, 'ubuntu', release, others.length === 0 ? null : others.join(':'));
}

/** The os-release fields that decide the ecosystems (the collectors' OsRelease has them). */
export type HostOsRelease = {
  /** os-release ID, e.g. 'debian', 'ubuntu', 'almalinux', 'rocky', 'alpine'. */
  readonly id: string;
  /** ID_LIKE words, closest relative first. */
  readonly idLike?: readonly string[];
  readonly versionId: string | null;
  readonly versionCodename?: string | null;
};

export type HostEcosystems =
  | {
      readonly supported: true;
      readonly distro: Distro;
      readonly release: string;
      readonly scheme: VersionScheme;
      readonly namesSource: boolean;
      /** Every OSV ecosystem string whose advisories apply to the host. */
      readonly ecosystems: readonly string[];
    }
  | Unsupported;

/** Debian releases by codename, for hosts (testing snapshots) whose os-release has no number. */
const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

/**
 * The OSV ecosystems that apply to a host. Ubuntu LTS hosts get the standard archive and Pro
 * (ESM) streams, whose fixes an unsubscribed host cannot install but whose advisories still
 * describe its packages; FIPS and Realtime streams need their own kernels and are left out.
 */
export function ecosystemsForHost(host: HostOsRelease): HostEcosystems {
  const version = host.versionId ?? '';
  const result = (distro: Distro, release: string, ecosystems: string[]): HostEcosystems => ({
    supported: true,
    distro,
    release,
    ...SCHEMES[distro],
    ecosystems,
  });
  const noVersion = (what: string): Unsupported =>
    unsupported(`${what} host has no usable VERSION_ID (${JSON.stringify(host.versionId)})`);
  const major = /^(\d+)(?:\.\d+)*$/.exec(version)?.[1];

  switch (host.id) {
    case 'debian': {
      const release =
        /^\d+$/.exec(version)?.[0] ?? DEBIAN_CODENAMES[host.versionCodename ?? ''] ?? null;
      if (release === null) {
        return unsupported('Debian testing/unstable has no OSV release ecosystem');
      }
      return result('debian', release, [`Debian:${release}`]);
    }
    case 'ubuntu': {
      if (!/^\d{2}\.\d{2}$/.test(version)) return noVersion('Ubuntu');
      const lts = version.endsWith('.04') && Number(version.slice(0, 2)) % 2 === 0;
      const ecosystems = lts
        ? [`Ubuntu:${version}`, `Ubuntu:${version}:LTS`, `Ubuntu:Pro:${version}:LTS`]
        : [`Ubuntu:${version}`];
      return result('ubuntu', version, ecosystems);
    }
    case 'alpine': {
      const m = /^(\d+\.\d+)(?:\.\d+)?$/.exec(version);
      if (!m?.[1])
        return unsupported(`Alpine ${JSON.stringify(version)} (edge?) has no OSV ecosystem`);
      return result('alpine', m[1], [`Alpine:v${m[1]}`]);
    }
    case 'almalinux':
      if (major === undefined) return noVersion('AlmaLinux');
      return result('almalinux', major, [`AlmaLinux:${major}`]);
    case 'rocky':
      if (major === undefined) return noVersion('Rocky Linux');
      return result('rocky', major, [`Rocky Linux:${major}`]);
    case 'opensuse-leap':
      if (!/^\d+\.\d+$/.test(version)) return noVersion('openSUSE Leap');
      return result('opensuse-leap', version, [`openSUSE:Leap ${version}`]);
    case 'opensuse-tumbleweed':
      return result('opensuse-tumbleweed', 'tumbleweed', ['openSUSE:Tumbleweed']);
    case 'sles': {
      const m = /^(\d+)(?:\.(\d+))?$/.exec(version);
      if (!m?.[1]) return noVersion('SLES');
      const servicePack = m[2] ?? '0';
      const name = servicePack === '0' ? m[1] : `${m[1]} SP${servicePack}`;
      return result('sles', `${m[1]}.${servicePack}`, [`SUSE:Linux Enterprise Server ${name}`]);
    }
    case 'rhel':
      return unsupported(
        'Red Hat OSV ecosystems are per product stream and repository ' +
          '(e.g. Red Hat:enterprise_linux:9::appstream); which apply depends on the ' +
          "host's subscriptions, not on os-release",
      );
  }
  const parent = host.idLike?.find((like) => (distros as readonly string[]).includes(like));
  if (parent !== undefined) {
    return unsupported(
      `${host.id} is a derivative of ${parent}; ` +
        `its releases do not map to ${parent}'s OSV ecosystems`,
    );
  }
  return unsupported(`no OSV ecosystem for os-release ID ${JSON.stringify(host.id)}`);
}
