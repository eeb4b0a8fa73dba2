import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, SectionTimeoutError, UnsupportedError } from '../../../collectors/errors.ts';
import { type PackageFact, packagesCollector } from '../../../collectors/packages.ts';
import { parseApkInstalled } from '../../../collectors/packages-apk.ts';
import { parseDpkgQuery, splitDebianVersion } from '../../../collectors/packages-dpkg.ts';
import { parsePacmanDesc } from '../../../collectors/packages-pacman.ts';
import { parseRpmQuery, parseSourceRpm } from '../../../collectors/packages-rpm.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type { Fact, Section, Sections } from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/packages');
const ownFile = (name: string): string => readFileSync(path.join(own, name), 'utf8');
const sharedFile = (name: string): string => readFileSync(path.join(shared, name), 'utf8');

/** A recording made by running every command of the collector on one host. */
function recorded(prefix: string): Record<string, Partial<Section>> {
  const exits = JSON.parse(ownFile(`${prefix}__exit-codes.json`));
  const outputs: Record<string, Partial<Section>> = {};
  for (const { id } of packagesCollector.commands) {
    const what = id.slice(id.indexOf('.') + 1);
    outputs[id] = {
      stdout: ownFile(`${prefix}__${what}.txt`),
      exitCode: exits[id].exitCode,
      stderrTail: exits[id].stderrTail,
    };
  }
  return outputs;
}

const absent: Partial<Section> = { stdout: '', exitCode: 127 };
const onlyAbsent = {
  'packages.dpkg': absent,
  'packages.rpm': absent,
  'packages.apk': absent,
  'packages.pacman': absent,
};

function facts(sections: Sections): Fact<PackageFact>[] {
  return (packagesCollector.parse(sections).facts ?? []) as Fact<PackageFact>[];
}

describe('packages on the Debian 12 recording (dpkg, plus an rpm tool without a database)', () => {
  const sections = sectionsOf(recorded('debian-12'));
  const result = facts(sections);
  const byKey = new Map(result.map((fact) => [fact.key, fact.value]));

  it('lists exactly what `dpkg-query -W` lists (name, arch, version)', () => {
    // Recorded at the same moment: dpkg-query -W -f='${binary:Package} ${Version}\n'
    const reference = ownFile('debian-12__dpkg-query-W-reference.txt').trim().split('\n');
    expect(result).toHaveLength(850);
    expect(reference).toHaveLength(850);
    // binary:Package carries `:arch` for Multi-Arch: same packages; our name never does.
    const ours = result.map(({ value: p }) =>
      reference.includes(`${p.name}:${p.arch} ${p.evr}`)
        ? `${p.name}:${p.arch} ${p.evr}`
        : `${p.name} ${p.evr}`,
    );
    expect(ours.sort()).toEqual([...reference].sort());
    expect(reference.filter((line) => line.split(' ')[0]?.includes(':'))).toHaveLength(454);
  });

  it('splits epoch, upstream version and revision, and names the source package', () => {
    expect(byKey.get('bsdutils:amd64')).toEqual({
      name: 'bsdutils',
      epoch: 1,
      version: '2.38.1',
      release: '5+deb12u3',
      arch: 'amd64',
      evr: '1:2.38.1-5+deb12u3',
      source: { name: 'util-linux', version: '2.38.1-5+deb12u3' },
      manager: 'dpkg',
    });
    // Binary NMU: the binary's version (+b8) differs from its source's.
    expect(byKey.get('bash:amd64')).toMatchObject({
      evr: '5.2.15-2+b8',
      source: { name: 'bash', version: '5.2.15-2' },
    });
    // Native package: no revision.
    expect(byKey.get('apt:amd64')).toMatchObject({ version: '2.6.1', release: null, epoch: null });
    expect(byKey.get('libc6:amd64')).toMatchObject({ name: 'libc6', evr: '2.36-9+deb12u14' });
    expect(byKey.get('tzdata:all')).toMatchObject({ arch: 'all', evr: '2025b-0+deb12u2' });
  });

  it('has unique, sorted keys and no rpm-only fields', () => {
    const keys = result.map((fact) => fact.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    expect(result.every((fact) => fact.kind === 'package' && !('vendor' in fact.value))).toBe(true);
  });

  it('is byte-identical when parsed twice', () => {
    expect(JSON.stringify(facts(sections))).toBe(JSON.stringify(result));
  });

  it('ignores an rpm tool that answers with an empty list', () => {
    const emptyRpm = sectionsOf({ ...recorded('debian-12'), 'packages.rpm': '' });
    expect(facts(emptyRpm)).toEqual(result);
  });
});

describe('dpkg status filtering', () => {
  const line = (name: string, status: string): string =>
    `${name}\tamd64\t1.0-1\t${name}\t1.0-1\t${status}`;

  it('keeps packages whose files are on disk, drops rc, half-installed and not-installed', () => {
    const out = [
      line('installed', 'ii '),
      line('held', 'hi '),
      line('unpacked', 'iU '),
      line('halfconf', 'iF '),
      line('trigpend', 'it '),
      line('reinstreq', 'iiR'),
      line('removed', 'rc '),
      line('halfinst', 'iH '),
      line('purged', 'pn '),
    ].join('\n');
    expect(parseDpkgQuery(`${out}\n`).map((p) => p.name)).toEqual([
      'installed',
      'held',
      'unpacked',
      'halfconf',
      'trigpend',
      'reinstreq',
    ]);
  });

  it('splits Debian versions at the last hyphen, as deb-version(7) does', () => {
    // docker-ce's version from trivy's third-party dpkg status fixture.
    expect(splitDebianVersion('5:20.10.7~3-0~debian-buster')).toEqual({
      epoch: 5,
      version: '20.10.7~3-0~debian',
      release: 'buster',
    });
    expect(splitDebianVersion('2:7.4.1689-3ubuntu1.2')).toEqual({
      epoch: 2,
      version: '7.4.1689',
      release: '3ubuntu1.2',
    });
    expect(() => splitDebianVersion('x:1.0')).toThrow(ParseError);
  });
});

describe('rpm (real rpm 4.18 output over a database of crafted packages)', () => {
  const packages = parseRpmQuery(ownFile('rpm-4.18-crafted__rpm.txt'));
  const sections = sectionsOf({
    ...onlyAbsent,
    'packages.rpm': ownFile('rpm-4.18-crafted__rpm.txt'),
  });
  const result = facts(sections);
  const byKey = new Map(result.map((fact) => [fact.key, fact.value]));

  it('drops gpg-pubkey and keeps every real package', () => {
    expect(packages).toHaveLength(10);
    expect(packages.some((p) => p.name === 'gpg-pubkey')).toBe(false);
  });

  it('keys install-only packages and multi-version names by name:arch:evr', () => {
    expect(result.map((fact) => fact.key)).toEqual([
      'glibc:i686',
      'glibc:x86_64',
      'kernel-core:x86_64:5.14.0-362.8.1.el9_3',
      'kernel-core:x86_64:5.14.0-427.13.1.el9_4',
      'kernel-headers:x86_64',
      'kernel:x86_64:5.14.0-362.8.1.el9_3',
      'kernel:x86_64:5.14.0-427.13.1.el9_4',
      'openssl:x86_64',
      'tzdata:noarch',
      'zero-epoch:x86_64',
    ]);
  });

  it('reads epoch, version, release, source rpm, vendor and install time', () => {
    expect(byKey.get('openssl:x86_64')).toEqual({
      name: 'openssl',
      epoch: 1,
      version: '3.0.7',
      release: '27.el9',
      arch: 'x86_64',
      evr: '1:3.0.7-27.el9',
      source: { name: 'openssl', version: '3.0.7-27.el9' },
      manager: 'rpm',
      vendor: 'Rocky Enterprise Software Foundation',
      installTime: 1795921051,
    });
    // `(none)` is no epoch; an explicit 0 is kept, as rpm prints it.
    expect(byKey.get('glibc:x86_64')).toMatchObject({ epoch: null, evr: '2.34-100.el9_4.2' });
    expect(byKey.get('zero-epoch:x86_64')).toMatchObject({
      epoch: 0,
      evr: '0:1.0-1.el9',
      vendor: null,
    });
  });

  it('keys a name with two versions by version even when it is not install-only', () => {
    const twice = [
      'foo\t(none)\t1.0\t1.el9\tx86_64\tfoo-1.0-1.el9.src.rpm\t(none)\t1700000000',
      'foo\t(none)\t1.1\t1.el9\tx86_64\tfoo-1.1-1.el9.src.rpm\t(none)\t1700000001',
      'foo\t(none)\t1.1\t1.el9\tx86_64\tfoo-1.1-1.el9.src.rpm\t(none)\t1700000001',
    ].join('\n');
    const keys = facts(sectionsOf({ ...onlyAbsent, 'packages.rpm': twice })).map((f) => f.key);
    expect(keys).toEqual(['foo:x86_64:1.0-1.el9', 'foo:x86_64:1.1-1.el9']);
  });

  it('parses source rpm names', () => {
    expect(parseSourceRpm('util-linux-2.23.2-26.el7_2.2.src.rpm')).toEqual({
      name: 'util-linux',
      version: '2.23.2-26.el7_2.2',
    });
    expect(parseSourceRpm('(none)')).toBeNull();
  });

  it('is unsupported where the rpm tool has no database (the snippet exits 127)', () => {
    expect(() => facts(sectionsOf(onlyAbsent))).toThrow(UnsupportedError);
  });
});

describe('apk (/lib/apk/db/installed)', () => {
  it('reads the filtered database the snippet prints', () => {
    // The snippet's grep run over osv-scalibr's real /lib/apk/db/installed.
    const packages = parseApkInstalled(ownFile('alpine-scalibr__apk.txt'));
    expect(packages).toHaveLength(15);
    expect(packages.find((p) => p.name === 'libcrypto3')).toEqual({
      name: 'libcrypto3',
      epoch: null,
      version: '3.1.0',
      release: 'r4',
      arch: 'x86_64',
      evr: '3.1.0-r4',
      source: { name: 'openssl', version: '3.1.0-r4' },
      manager: 'apk',
    });
  });

  it('reads the unfiltered file the same way', () => {
    const whole = parseApkInstalled(sharedFile('packages/alpine__osv-scalibr_apk-installed.txt'));
    expect(whole).toEqual(parseApkInstalled(ownFile('alpine-scalibr__apk.txt')));
  });

  it('is chosen when dpkg, rpm and pacman are absent', () => {
    const sections = sectionsOf({
      ...onlyAbsent,
      'packages.apk': ownFile('alpine-scalibr__apk.txt'),
    });
    expect(facts(sections).map((f) => f.key)).toContain('busybox:x86_64');
  });

  it('rejects two records run together', () => {
    expect(() => parseApkInstalled('P:a\nV:1-r0\nA:x86_64\nP:b\nV:1-r0\nA:x86_64\n')).toThrow(
      ParseError,
    );
  });
});

describe('pacman (local database desc records)', () => {
  it("reads grep's output over a real desc file", () => {
    expect(parsePacmanDesc(ownFile('arch-scalibr__pacman.txt'))).toEqual([
      {
        name: 'gawk',
        epoch: null,
        version: '5.3.1',
        release: '1',
        arch: 'x86_64',
        evr: '5.3.1-1',
        source: { name: 'gawk', version: '5.3.1-1' },
        manager: 'pacman',
      },
    ]);
  });

  it('reads the whole desc file the same way', () => {
    expect(parsePacmanDesc(sharedFile('packages/arch__osv-scalibr_pacman-local-desc.txt'))).toEqual(
      parsePacmanDesc(ownFile('arch-scalibr__pacman.txt')),
    );
  });

  it('splits records and reads epochs', () => {
    // Two records as grep -A1 prints them (values from ohai's `pacman -Qi` fixture, plus an
    // epoch as Arch writes it).
    const out = [
      '%NAME%',
      'acl',
      '--',
      '%VERSION%',
      '2.2.52-3',
      '--',
      '%ARCH%',
      'x86_64',
      '%NAME%',
      'abcde',
      '--',
      '%VERSION%',
      '1:2.8.1-2',
      '--',
      '%BASE%',
      'abcde',
      '--',
      '%ARCH%',
      'any',
    ].join('\n');
    const [acl, abcde] = parsePacmanDesc(out);
    expect(acl).toMatchObject({ name: 'acl', evr: '2.2.52-3', source: null, arch: 'x86_64' });
    expect(abcde).toMatchObject({ epoch: 1, version: '2.8.1', release: '2', arch: 'any' });
  });
});

describe('choosing the package manager', () => {
  it('is unsupported when no manager exists or none has packages', () => {
    expect(() => facts(sectionsOf(onlyAbsent))).toThrow(UnsupportedError);
    expect(() => facts(sectionsOf({ ...onlyAbsent, 'packages.dpkg': '' }))).toThrow(
      UnsupportedError,
    );
  });

  it('fails when a present manager fails, so its packages do not read as removed', () => {
    const base = recorded('debian-12');
    const rpmBroken = {
      ...base,
      'packages.rpm': { exitCode: 1, stderrTail: 'error: rpmdb: damaged header' },
    };
    expect(() => facts(sectionsOf(rpmBroken))).toThrow(ParseError);
    const timedOut = { ...base, 'packages.dpkg': { exitCode: 124 } };
    expect(() => facts(sectionsOf(timedOut))).toThrow(SectionTimeoutError);
    const cut = { ...base, 'packages.dpkg': { ...base['packages.dpkg'], truncated: true } };
    expect(() => facts(sectionsOf(cut))).toThrow(ParseError);
  });

  it('declares one command per manager, none as root', () => {
    expect(packagesCollector.commands.map((c) => c.id)).toEqual([
      'packages.dpkg',
      'packages.rpm',
      'packages.apk',
      'packages.pacman',
    ]);
    expect(packagesCollector.commands.every((c) => c.root === undefined && c.why)).toBe(true);
  });
});

describe('hostile or broken output', () => {
  const dpkg = (line: string): Sections => sectionsOf({ ...onlyAbsent, 'packages.dpkg': line });

  it('rejects control characters, invalid UTF-8 and overlong names', () => {
    expect(() => facts(dpkg('ev\u0007il\tamd64\t1.0\tevil\t1.0\tii \n'))).toThrow(ParseError);
    expect(() => facts(dpkg('ev\ufffdil\tamd64\t1.0\tevil\t1.0\tii \n'))).toThrow(ParseError);
    expect(() => facts(dpkg(`${'a'.repeat(300)}\tamd64\t1.0\ta\t1.0\tii \n`))).toThrow(ParseError);
  });

  it('rejects garbled and cut lines instead of returning fewer packages', () => {
    expect(() => facts(dpkg('adduser\tall\t3.134\tadduser\n'))).toThrow(ParseError);
    expect(() => facts(dpkg('<html><body>Service Unavailable</body></html>\n'))).toThrow(
      ParseError,
    );
    expect(() =>
      facts(dpkg(`adduser\tall\t3.134\tadduser\t3.134\t${'x'.repeat(10_000)}\n`)),
    ).toThrow(ParseError);
    expect(() => parseRpmQuery('bash\tbogus\t5.1\t1\tx86_64\t(none)\t(none)\t1\n')).toThrow(
      ParseError,
    );
    expect(() => parsePacmanDesc('%NAME%\n')).toThrow(ParseError);
    expect(() => parseApkInstalled('P:musl\nV:1.2.4-r2\n')).toThrow(ParseError);
  });
});
