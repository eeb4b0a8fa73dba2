import { describe, expect, it } from 'vitest';
import { parseOsRelease } from '../../../collectors/os.ts';
import { ecosystemsForHost, parseOsvEcosystem } from '../../../vuln/ecosystems.ts';
import { parseOsvRecords } from '../../../vuln/osv.ts';
import { listFixtures, readFixture } from './fixtures.ts';

describe('parseOsvEcosystem on every ecosystem of the OSV fixtures', () => {
  const ecosystems = new Set<string>();
  for (const file of listFixtures('osv')) {
    const { records } = parseOsvRecords(JSON.parse(readFixture(`osv/${file}`)));
    for (const record of records) {
      for (const affected of record.affected) ecosystems.add(affected.package?.ecosystem ?? '');
    }
  }

  // [ecosystem, distro, release, scheme, namesSource, variant]
  const expected = [
    ['AlmaLinux:10', 'almalinux', '10', 'rpm', false, null],
    ['AlmaLinux:8', 'almalinux', '8', 'rpm', false, null],
    ['AlmaLinux:9', 'almalinux', '9', 'rpm', false, null],
    ['Alpine:v3.12', 'alpine', '3.12', 'apk', true, null],
    ['Alpine:v3.13', 'alpine', '3.13', 'apk', true, null],
    ['Alpine:v3.14', 'alpine', '3.14', 'apk', true, null],
    ['Alpine:v3.15', 'alpine', '3.15', 'apk', true, null],
    ['Alpine:v3.16', 'alpine', '3.16', 'apk', true, null],
    ['Rocky Linux:8', 'rocky', '8', 'rpm', false, null],
    ['Rocky Linux:9', 'rocky', '9', 'rpm', false, null],
    ['Ubuntu:18.04:LTS', 'ubuntu', '18.04', 'deb', true, null],
    ['Ubuntu:20.04:LTS', 'ubuntu', '20.04', 'deb', true, null],
    ['Ubuntu:22.04:LTS', 'ubuntu', '22.04', 'deb', true, null],
    ['Ubuntu:25.10', 'ubuntu', '25.10', 'deb', true, null],
    ['Ubuntu:Pro:14.04:LTS', 'ubuntu', '14.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:16.04:LTS', 'ubuntu', '16.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:18.04:LTS', 'ubuntu', '18.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:20.04:LTS', 'ubuntu', '20.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:22.04:LTS', 'ubuntu', '22.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:24.04:LTS', 'ubuntu', '24.04', 'deb', true, 'Pro'],
    ['Ubuntu:Pro:26.04:LTS', 'ubuntu', '26.04', 'deb', true, 'Pro'],
  ] as const;

  it('the fixtures hold exactly these ecosystems', () => {
    expect([...ecosystems].sort()).toEqual(expected.map((row) => row[0]));
  });

  it.each(expected)('%s', (ecosystem, distro, release, scheme, namesSource, variant) => {
    expect(parseOsvEcosystem(ecosystem)).toEqual({
      supported: true,
      ecosystem,
      distro,
      release,
      scheme,
      namesSource,
      variant,
    });
  });
});

describe('parseOsvEcosystem on other forms', () => {
  it.each([
    ['Debian:12', 'debian', '12', 'deb', null],
    ['Debian:13', 'debian', '13', 'deb', null],
    ['Ubuntu:22.04', 'ubuntu', '22.04', 'deb', null],
    ['Ubuntu:Pro:FIPS:20.04:LTS', 'ubuntu', '20.04', 'deb', 'Pro:FIPS'],
    ['Ubuntu:Pro:FIPS-updates:22.04:LTS', 'ubuntu', '22.04', 'deb', 'Pro:FIPS-updates'],
    ['Ubuntu:Pro:24.04:LTS:Realtime:Kernel', 'ubuntu', '24.04', 'deb', 'Pro:Realtime:Kernel'],
    ['Red Hat:enterprise_linux:9::appstream', 'rhel', '9', 'rpm', 'enterprise_linux::appstream'],
    ['Red Hat:rhel_eus:9.2::baseos', 'rhel', '9.2', 'rpm', 'rhel_eus::baseos'],
    ['openSUSE:Leap 15.5', 'opensuse-leap', '15.5', 'rpm', null],
    ['openSUSE:Tumbleweed', 'opensuse-tumbleweed', 'tumbleweed', 'rpm', null],
    ['SUSE:Linux Enterprise Server 15 SP5', 'sles', '15.5', 'rpm', null],
    ['SUSE:Linux Enterprise Server 12 SP5-LTSS', 'sles', '12.5', 'rpm', 'LTSS'],
    ['SUSE:Linux Enterprise Server 15', 'sles', '15.0', 'rpm', null],
  ] as const)('%s', (ecosystem, distro, release, scheme, variant) => {
    expect(parseOsvEcosystem(ecosystem)).toMatchObject({
      supported: true,
      distro,
      release,
      scheme,
      variant,
    });
  });

  it.each([
    'npm',
    'Debian',
    'Debian:sid',
    'Alpine:edge',
    'Ubuntu',
    'Ubuntu:Pro',
    'Ubuntu:22.04:20.04',
    'Ubuntu:22.04:L T S',
    'AlmaLinux:9.3',
    'Rocky Linux',
    'SUSE:Linux Enterprise Desktop 15 SP5',
    '',
  ])('%j is unsupported, with a reason', (ecosystem) => {
    const result = parseOsvEcosystem(ecosystem);
    expect(result.supported).toBe(false);
    if (!result.supported) expect(result.reason).toContain(JSON.stringify(ecosystem));
  });
});

describe('ecosystemsForHost on the os-release fixtures', () => {
  const files = listFixtures('os-release').filter((f) => !f.includes('centos-release'));
  const host = (file: string) => parseOsRelease(readFixture(`os-release/${file}`));

  // [file, ecosystems] for supported hosts; [file, reason fragment] otherwise.
  const supported: readonly (readonly [string, readonly string[]])[] = [
    ['almalinux-10__go-sysinfo.txt', ['AlmaLinux:10']],
    ['almalinux-8.4__syft.txt', ['AlmaLinux:8']],
    ['almalinux-9__go-sysinfo.txt', ['AlmaLinux:9']],
    ['alpine-3.23__python-distro.txt', ['Alpine:v3.23']],
    ['debian-12__syft.txt', ['Debian:12']],
    ['debian-13__python-distro.txt', ['Debian:13']],
    ['opensuse-leap-15.4__go-sysinfo.txt', ['openSUSE:Leap 15.4']],
    ['opensuse-tumbleweed__go-sysinfo.txt', ['openSUSE:Tumbleweed']],
    ['rocky-8.4__python-distro.txt', ['Rocky Linux:8']],
    ['rocky-9__go-sysinfo.txt', ['Rocky Linux:9']],
    ['sles-15sp5__go-sysinfo.txt', ['SUSE:Linux Enterprise Server 15 SP5']],
    [
      'ubuntu-20.04__node_exporter.txt',
      ['Ubuntu:20.04', 'Ubuntu:20.04:LTS', 'Ubuntu:Pro:20.04:LTS'],
    ],
    ['ubuntu-22.04__go-sysinfo.txt', ['Ubuntu:22.04', 'Ubuntu:22.04:LTS', 'Ubuntu:Pro:22.04:LTS']],
    [
      'ubuntu-24.04__python-distro.txt',
      ['Ubuntu:24.04', 'Ubuntu:24.04:LTS', 'Ubuntu:Pro:24.04:LTS'],
    ],
  ];
  const unsupported: readonly (readonly [string, string])[] = [
    ['amazon-2023__python-distro.txt', 'no OSV ecosystem for os-release ID "amzn"'],
    ['amazon-2__syft.txt', 'amzn is a derivative of rhel'],
    ['arch__go-sysinfo.txt', 'no OSV ecosystem for os-release ID "archarm"'],
    ['centos-7__jc.txt', 'centos is a derivative of rhel'],
    ['centos-stream-9__python-distro.txt', 'centos is a derivative of rhel'],
    ['fedora-42__python-distro.txt', 'no OSV ecosystem for os-release ID "fedora"'],
    ['rhel-10__go-sysinfo.txt', 'per product stream and repository'],
    ['rhel-7__go-sysinfo.txt', 'per product stream and repository'],
    ['rhel-8.6__facter.txt', 'per product stream and repository'],
    ['rhel-9__go-sysinfo.txt', 'per product stream and repository'],
    ['rhel-ai__insights.txt', 'per product stream and repository'],
  ];

  it('covers every os-release fixture', () => {
    expect([...supported.map((r) => r[0]), ...unsupported.map((r) => r[0])].sort()).toEqual(files);
  });

  it.each(supported)('%s -> %j', (file, ecosystems) => {
    const result = ecosystemsForHost(host(file));
    expect(result).toMatchObject({ supported: true, ecosystems });
    // Each ecosystem reads back as the host's distribution and release.
    if (!result.supported) return;
    for (const ecosystem of ecosystems) {
      expect(parseOsvEcosystem(ecosystem)).toMatchObject({
        supported: true,
        distro: result.distro,
        release: result.release,
        scheme: result.scheme,
        namesSource: result.namesSource,
      });
    }
  });

  it.each(unsupported)('%s is unsupported: %s', (file, reason) => {
    const result = ecosystemsForHost(host(file));
    expect(result.supported).toBe(false);
    if (!result.supported) expect(result.reason).toContain(reason);
  });
});

describe('ecosystemsForHost edge cases', () => {
  it('maps Ubuntu interim releases to one ecosystem', () => {
    expect(ecosystemsForHost({ id: 'ubuntu', versionId: '25.10' })).toMatchObject({
      supported: true,
      ecosystems: ['Ubuntu:25.10'],
    });
  });

  it('uses the Debian codename without VERSION_ID; testing/sid is unsupported', () => {
    expect(
      ecosystemsForHost({ id: 'debian', versionId: null, versionCodename: 'trixie' }),
    ).toMatchObject({ supported: true, release: '13', ecosystems: ['Debian:13'] });
    expect(ecosystemsForHost({ id: 'debian', versionId: null, versionCodename: 'sid' })).toEqual({
      supported: false,
      reason: 'Debian testing/unstable has no OSV release ecosystem',
    });
  });

  it('maps Alpine point releases to their branch, and refuses edge', () => {
    expect(ecosystemsForHost({ id: 'alpine', versionId: '3.19.1' })).toMatchObject({
      supported: true,
      release: '3.19',
      scheme: 'apk',
      namesSource: true,
      ecosystems: ['Alpine:v3.19'],
    });
    expect(ecosystemsForHost({ id: 'alpine', versionId: '3.20.0_alpha20240329' })).toMatchObject({
      supported: false,
    });
  });

  it('maps RHEL clones by major version', () => {
    expect(ecosystemsForHost({ id: 'almalinux', versionId: '9.3' })).toMatchObject({
      ecosystems: ['AlmaLinux:9'],
      scheme: 'rpm',
      namesSource: false,
    });
    expect(ecosystemsForHost({ id: 'rocky', versionId: '8.4' })).toMatchObject({
      ecosystems: ['Rocky Linux:8'],
    });
    expect(ecosystemsForHost({ id: 'rocky', versionId: null })).toMatchObject({
      supported: false,
    });
  });

  it('names a derivative for what it is', () => {
    expect(
      ecosystemsForHost({ id: 'linuxmint', idLike: ['ubuntu', 'debian'], versionId: '21.3' }),
    ).toEqual({
      supported: false,
      reason:
        "linuxmint is a derivative of ubuntu; its releases do not map to ubuntu's OSV ecosystems",
    });
  });
});
