import { describe, expect, it } from 'vitest';
import { isAffected, sortEvents, UnsupportedRangeError } from '../../../vuln/match.ts';
import { type OsvAffected, type OsvEvent, parseOsvRecords } from '../../../vuln/osv.ts';
import { InvalidVersionError } from '../../../vuln/versions.ts';
import { readFixture } from './fixtures.ts';

/** The affected[] entry of a fixture advisory for one ecosystem and package. */
function fixtureAffected(file: string, ecosystem: string, name: string): OsvAffected {
  const { records, errors } = parseOsvRecords(JSON.parse(readFixture(`osv/${file}`)));
  expect(errors).toEqual([]);
  const found = records
    .flatMap((r) => r.affected)
    .find((a) => a.package?.ecosystem === ecosystem && a.package.name === name);
  if (!found) throw new Error(`${file} has no ${ecosystem} ${name}`);
  return found;
}

/** An entry built in the test, for shapes no fixture has (Debian, last_affected, limit...). */
function affected(
  ecosystem: string,
  events: OsvEvent[],
  extra: Partial<Pick<OsvAffected, 'ranges' | 'versions'>> = {},
): OsvAffected {
  return {
    package: { ecosystem, name: 'pkg' },
    severity: [],
    ranges: [{ type: 'ECOSYSTEM', events }],
    versions: [],
    ...extra,
  };
}

describe('rpm advisories (AlmaLinux, Rocky): full EVR, missing epoch = 0', () => {
  const openssl = fixtureAffected(
    'almalinux-8__ALSA-2026-38503_openssl.json',
    'AlmaLinux:8',
    'openssl-libs',
  );

  it('the fixed version itself is not affected; one release below is', () => {
    expect(openssl.ranges[0]?.events).toEqual([
      { introduced: '0' },
      { fixed: '1:1.1.1k-17.el8_6' },
    ]);
    expect(isAffected('rpm', '1:1.1.1k-17.el8_6', openssl)).toBe(false);
    expect(isAffected('rpm', '1:1.1.1k-16.el8_6', openssl)).toBe(true);
    expect(isAffected('rpm', '1:1.1.1k-17.el8_5', openssl)).toBe(true);
    expect(isAffected('rpm', '1:1.1.1k-17.el8_6.1', openssl)).toBe(false);
    expect(isAffected('rpm', '1:1.1.1l-1.el8', openssl)).toBe(false);
    expect(isAffected('rpm', '2:1.0.0-1.el8', openssl)).toBe(false);
  });

  it('a missing epoch is 0, not a wildcard (the Wazuh bug)', () => {
    expect(isAffected('rpm', '1.1.1k-17.el8_6', openssl)).toBe(true);
    expect(isAffected('rpm', '3.0.0-1.el8', openssl)).toBe(true);
  });

  it('an explicit 0: epoch in the fix equals no epoch on the host (Rocky)', () => {
    const firefox = fixtureAffected(
      'rocky-8__RLSA-2023-3220_firefox.json',
      'Rocky Linux:8',
      'firefox',
    );
    expect(firefox.ranges[0]?.events[1]).toEqual({ fixed: '0:102.11.0-2.el8_7' });
    expect(isAffected('rpm', '102.11.0-2.el8_7', firefox)).toBe(false);
    expect(isAffected('rpm', '0:102.11.0-2.el8_7', firefox)).toBe(false);
    expect(isAffected('rpm', '102.11.0-1.el8_7', firefox)).toBe(true);
    expect(isAffected('rpm', '102.10.0-2.el8_7', firefox)).toBe(true);
  });

  it('compares module stream releases and epochs (java, nodejs, ruby modules)', () => {
    const java = fixtureAffected(
      'rocky-8__RLSA-2021-3891_java11.json',
      'Rocky Linux:8',
      'java-11-openjdk',
    );
    expect(isAffected('rpm', '1:11.0.13.0.8-1.el8_4', java)).toBe(false);
    expect(isAffected('rpm', '1:11.0.12.0.7-0.el8_4', java)).toBe(true);
    expect(isAffected('rpm', '1:11.0.13.0.7-1.el8_4', java)).toBe(true);

    const node = fixtureAffected(
      'almalinux-8__ALSA-2026-8339_nodejs20-module.json',
      'AlmaLinux:8',
      'nodejs',
    );
    const fixed = '1:20.20.2-1.module_el8.10.0+4165+3f200bda';
    expect(node.ranges[0]?.events[1]).toEqual({ fixed });
    expect(isAffected('rpm', fixed, node)).toBe(false);
    expect(isAffected('rpm', '1:20.20.1-1.module_el8.10.0+4111+aaaaaaaa', node)).toBe(true);
    expect(isAffected('rpm', '1:20.20.2-1.module_el8.10.0+4164+3f200bda', node)).toBe(true);

    const ruby = fixtureAffected(
      'rocky-9__RLSA-2024-3671_ruby-module.json',
      'Rocky Linux:9',
      'ruby',
    );
    expect(isAffected('rpm', '3.3.1-2.module+el9.4.0+20787+4c237fd3', ruby)).toBe(false);
    expect(isAffected('rpm', '3.3.1-1.module+el9.4.0+20787+4c237fd3', ruby)).toBe(true);
  });

  it('digits compare as numbers: 1:9.0.117 is newer than a 1:9.0.62 fix (the Fleet bug)', () => {
    const vim = affected('AlmaLinux:9', [{ introduced: '0' }, { fixed: '1:9.0.62-1.el9' }]);
    expect(isAffected('rpm', '1:9.0.117-1.el9', vim)).toBe(false);
    expect(isAffected('rpm', '1:9.0.61-1.el9', vim)).toBe(true);
  });
});

describe('deb advisories (Debian, Ubuntu): source versions with epochs', () => {
  it('+deb12u1 is affected by a +deb12u2 fix; +deb12u2 and later are not', () => {
    const glibc = affected('Debian:12', [{ introduced: '0' }, { fixed: '2.36-9+deb12u2' }]);
    expect(isAffected('deb', '2.36-9+deb12u1', glibc)).toBe(true);
    expect(isAffected('deb', '2.36-9', glibc)).toBe(true);
    expect(isAffected('deb', '2.36-9+deb12u2', glibc)).toBe(false);
    expect(isAffected('deb', '2.36-9+deb12u3', glibc)).toBe(false);
    expect(isAffected('deb', '2.36-9+deb12u10', glibc)).toBe(false);
  });

  it('a backport (~bpo) sorts below the version it was built from', () => {
    const fixedInStable = affected('Debian:12', [{ introduced: '0' }, { fixed: '1.2.3-1' }]);
    expect(isAffected('deb', '1.2.3-1~bpo12+1', fixedInStable)).toBe(true);
    expect(isAffected('deb', '1.2.4-1~bpo12+1', fixedInStable)).toBe(false);
    const fixedInBackports = affected('Debian:12', [
      { introduced: '0' },
      { fixed: '1.2.3-1~bpo12+1' },
    ]);
    expect(isAffected('deb', '1.2.3-1~bpo12+1', fixedInBackports)).toBe(false);
    expect(isAffected('deb', '1.2.3-1~bpo12+0', fixedInBackports)).toBe(true);
    expect(isAffected('deb', '1.2.3-1', fixedInBackports)).toBe(false);
  });

  it('1:9.0.117 is newer than a 1:9.0.62 fix; a missing epoch is 0 (Fleet, Wazuh)', () => {
    const vim = affected('Debian:12', [{ introduced: '0' }, { fixed: '2:9.0.62-1' }]);
    expect(isAffected('deb', '2:9.0.117-1', vim)).toBe(false);
    expect(isAffected('deb', '2:9.0.61-1', vim)).toBe(true);
    expect(isAffected('deb', '9.0.1378-2', vim)).toBe(true);
    const simple = affected('Debian:12', [{ introduced: '0' }, { fixed: '1:9.0.62' }]);
    expect(isAffected('deb', '1:9.0.117', simple)).toBe(false);
    expect(isAffected('deb', '9.0.117', simple)).toBe(true);
  });

  it('Ubuntu USN: ~18.04.4 fix boundary and the versions list', () => {
    const bionic = fixtureAffected(
      'ubuntu-18.04-20.04-22.04__USN-5614-1_wayland.json',
      'Ubuntu:18.04:LTS',
      'wayland',
    );
    expect(isAffected('deb', '1.16.0-1ubuntu1.1~18.04.4', bionic)).toBe(false);
    expect(isAffected('deb', '1.16.0-1ubuntu1.1~18.04.3', bionic)).toBe(true);
    expect(isAffected('deb', '1.16.0-1ubuntu1.1', bionic)).toBe(false);
    const jammy = fixtureAffected(
      'ubuntu-18.04-20.04-22.04__USN-5614-1_wayland.json',
      'Ubuntu:22.04:LTS',
      'wayland',
    );
    expect(isAffected('deb', '1.20.0-1', jammy)).toBe(true);
    expect(isAffected('deb', '1.20.0-1ubuntu0.1', jammy)).toBe(false);
    expect(isAffected('deb', '1.20.0-1ubuntu0.2', jammy)).toBe(false);
  });

  it('Ubuntu Pro: epoch 1 fixes, and a missing epoch is older', () => {
    const jammy = fixtureAffected(
      'ubuntu-pro-14.04-26.04__UBUNTU-CVE-2022-24823_netty.json',
      'Ubuntu:Pro:22.04:LTS',
      'netty',
    );
    const fixed = '1:4.1.48-4+deb11u2ubuntu0.1~esm1';
    expect(jammy.ranges[0]?.events[1]).toEqual({ fixed });
    expect(isAffected('deb', fixed, jammy)).toBe(false);
    expect(isAffected('deb', '1:4.1.48-4+deb11u2build0.22.04.1', jammy)).toBe(true);
    expect(isAffected('deb', '1:4.1.48-4+deb11u2ubuntu0.1~esm0', jammy)).toBe(true);
    expect(isAffected('deb', '1:4.1.48-4+deb11u2ubuntu0.1', jammy)).toBe(false);
    expect(isAffected('deb', '4.1.48-4+deb11u2ubuntu0.1~esm1', jammy)).toBe(true);
  });

  it('an unfixed entry (introduced 0 only) affects every version', () => {
    const trusty = fixtureAffected(
      'ubuntu-pro-14.04-26.04__UBUNTU-CVE-2022-24823_netty.json',
      'Ubuntu:Pro:14.04:LTS',
      'netty',
    );
    expect(isAffected('deb', '1:3.2.6.Final-2', trusty)).toBe(true);
    expect(isAffected('deb', '99:1.0', trusty)).toBe(true);
  });

  it('introduced 0 means from the very beginning, even below "0" (0~rc1)', () => {
    const entry = affected('Debian:12', [{ introduced: '0' }, { fixed: '0.5' }]);
    expect(isAffected('deb', '0~rc1', entry)).toBe(true);
    expect(isAffected('deb', '0.5', entry)).toBe(false);
  });
});

describe('apk advisories (Alpine)', () => {
  const mariadb = fixtureAffected('alpine__CVE-2022-27449_mariadb.json', 'Alpine:v3.16', 'mariadb');

  it('the -r0 fix boundary', () => {
    expect(isAffected('apk', '10.6.8-r0', mariadb)).toBe(false);
    expect(isAffected('apk', '10.6.7-r3', mariadb)).toBe(true);
    expect(isAffected('apk', '10.6.8', mariadb)).toBe(true);
    expect(isAffected('apk', '10.6.8-r1', mariadb)).toBe(false);
    expect(isAffected('apk', '10.6.10-r0', mariadb)).toBe(false);
    expect(isAffected('apk', '10.6.8_rc1-r0', mariadb)).toBe(true);
  });
});

describe('OSV range evaluation', () => {
  it('introduced is affected, fixed is not', () => {
    const entry = affected('Debian:12', [{ introduced: '2.0' }, { fixed: '2.5' }]);
    expect(isAffected('deb', '1.9', entry)).toBe(false);
    expect(isAffected('deb', '2.0~rc1', entry)).toBe(false);
    expect(isAffected('deb', '2.0', entry)).toBe(true);
    expect(isAffected('deb', '2.4.9', entry)).toBe(true);
    expect(isAffected('deb', '2.5~rc1', entry)).toBe(true);
    expect(isAffected('deb', '2.5', entry)).toBe(false);
  });

  it('last_affected is affected, the next version is not', () => {
    const entry = affected('Debian:12', [
      { introduced: '0' },
      { last_affected: '3.0.11-1~deb12u1' },
    ]);
    expect(isAffected('deb', '3.0.11-1~deb12u1', entry)).toBe(true);
    expect(isAffected('deb', '3.0.11-1~deb12u2', entry)).toBe(false);
    expect(isAffected('deb', '3.0.11-1', entry)).toBe(false);
  });

  it('sorts events by version first, whatever order the record lists them in', () => {
    const events: OsvEvent[] = [
      { fixed: '2.3' },
      { introduced: '2.0' },
      { introduced: '0' },
      { fixed: '1.5' },
    ];
    expect(sortEvents('deb', events)).toEqual([
      { introduced: '0' },
      { fixed: '1.5' },
      { introduced: '2.0' },
      { fixed: '2.3' },
    ]);
    const entry = affected('Debian:12', events);
    expect(
      ['1.0', '1.5', '1.9', '2.0', '2.2', '2.3'].map((v) => isAffected('deb', v, entry)),
    ).toEqual([true, false, false, true, true, false]);
  });

  it('limit caps a range; limit * does not', () => {
    const capped = affected('Debian:12', [{ introduced: '0' }, { limit: '2.0' }]);
    expect(isAffected('deb', '1.9', capped)).toBe(true);
    expect(isAffected('deb', '2.0', capped)).toBe(false);
    const open = affected('Debian:12', [{ introduced: '0' }, { limit: '*' }]);
    expect(isAffected('deb', '99', open)).toBe(true);
  });

  it('any range, or the versions list, makes a version affected', () => {
    const entry = affected('Debian:12', [], {
      ranges: [
        { type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.1' }] },
        { type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.1' }] },
      ],
      versions: ['0.9-1', 'not a version!'],
    });
    expect(isAffected('deb', '1.0.5', entry)).toBe(true);
    expect(isAffected('deb', '2.0.5', entry)).toBe(true);
    expect(isAffected('deb', '1.5', entry)).toBe(false);
    expect(isAffected('deb', '0.9-1', entry)).toBe(true);
    expect(isAffected('deb', '0:0.9-1', entry)).toBe(true);
    expect(isAffected('deb', '0.9-2', entry)).toBe(false);
  });

  it('skips GIT ranges, and refuses SEMVER ranges rather than guess', () => {
    const git = affected('Debian:12', [], {
      ranges: [{ type: 'GIT', repo: 'https://example.org/x.git', events: [{ introduced: '0' }] }],
    });
    expect(isAffected('deb', '1.0', git)).toBe(false);
    const semver = affected('Debian:12', [], {
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
    });
    expect(() => isAffected('deb', '1.0', semver)).toThrow(UnsupportedRangeError);
  });

  it('never answers for an invalid version, installed or in the record', () => {
    const entry = affected('Debian:12', [{ introduced: '0' }, { fixed: '1.0' }]);
    expect(() => isAffected('deb', 'v1.0', entry)).toThrow(InvalidVersionError);
    const broken = affected('Debian:12', [{ introduced: '0' }, { fixed: 'latest' }]);
    expect(() => isAffected('deb', '1.0', broken)).toThrow(
      'invalid deb version "latest": version number does not start with digit',
    );
  });

  it("refuses to compare with another scheme than the ecosystem's", () => {
    const entry = affected('Debian:12', [{ introduced: '0' }, { fixed: '1.0' }]);
    expect(() => isAffected('rpm', '1.0-1', entry)).toThrow(
      'Debian:12 versions are deb versions, not rpm',
    );
  });
});
