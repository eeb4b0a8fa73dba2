import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { parseOsRelease, parseReleaseSection } from '../../../collectors/os.ts';
import type { PackageFact } from '../../../collectors/packages.ts';
import { parseApkInstalled } from '../../../collectors/packages-apk.ts';
import { parseDpkgQuery } from '../../../collectors/packages-dpkg.ts';
import { parsePacmanDesc } from '../../../collectors/packages-pacman.ts';
import { parseRpmQuery } from '../../../collectors/packages-rpm.ts';
import { type CycloneDxBom, toCycloneDx } from '../../../cli/export/cyclonedx.ts';
import { encodeComponent, formatPurl, packagePurl } from '../../../cli/export/purl.ts';

const own = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../fixtures', name), 'utf8');
const shared = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../../../shared/fixtures', name), 'utf8');

const host = { id: '0b7f6d0e-5a52-4c3e-9d7e-2f1b9a6c4d21', name: 'deb12.example.net' };
const asOf = new Date('2026-11-29T10:00:00Z');
const serialNumber = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';

const debian = parseReleaseSection(own('os/debian-12__release.txt'));
const rocky = parseOsRelease(shared('os-release/rocky-9__go-sysinfo.txt'));
const alpine = parseOsRelease(shared('os-release/alpine-3.23__python-distro.txt'));

const cases: { name: string; os: typeof debian | null; packages: PackageFact[] }[] = [
  {
    name: 'debian 12 (dpkg)',
    os: debian,
    packages: parseDpkgQuery(own('packages/debian-12__dpkg.txt')),
  },
  {
    name: 'rocky 9 (rpm)',
    os: rocky,
    packages: parseRpmQuery(own('packages/rpm-4.18-crafted__rpm.txt')),
  },
  {
    name: 'alpine 3.23 (apk)',
    os: alpine,
    packages: parseApkInstalled(own('packages/alpine-scalibr__apk.txt')),
  },
  {
    name: 'arch (pacman), no os facts',
    os: null,
    packages: parsePacmanDesc(own('packages/arch-scalibr__pacman.txt')),
  },
];

// The purl-spec's canonical characters: letters, digits, .-_~ and ':' unencoded, all else %XX.
const CANONICAL_PURL =
  /^pkg:[a-z]+\/(?:[A-Za-z0-9.\-_~:%]+\/)?[A-Za-z0-9.\-_~:%]+(?:@[A-Za-z0-9.\-_~:%]+)?(?:\?[a-z_]+=[A-Za-z0-9.\-_~:%]+(?:&[a-z_]+=[A-Za-z0-9.\-_~:%]+)*)?$/;

describe.each(cases)('$name', ({ os, packages }) => {
  const bom = toCycloneDx({ host, os, packages, asOf, serialNumber, toolVersion: '0.1.0' });

  it('validates against the CycloneDX 1.6 JSON schema', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(JSON.stringify(bom))).toBeNull();
  });

  it('has one library component per package, with unique bom-refs', () => {
    const libraries = bom.components.filter((c) => c.type === 'library');
    expect(libraries).toHaveLength(packages.length);
    const refs = bom.components.map((c) => c['bom-ref']);
    expect(new Set([...refs, bom.metadata.component['bom-ref']]).size).toBe(refs.length + 1);
    expect(bom.dependencies[0]?.dependsOn).toEqual(refs);
  });

  it('gives canonical purls that parse back to the package', () => {
    for (const component of bom.components.filter((c) => c.type === 'library')) {
      const purl = component.purl as string;
      expect(purl).toMatch(CANONICAL_PURL);
      const parsed = PackageURL.fromString(purl);
      const arch = component.properties?.find((p) => p.name === 'hostintel:package:arch')?.value;
      const pkg = packages.find(
        (p) => p.name === component.name && p.evr === component.version && p.arch === arch,
      );
      expect(pkg, purl).toBeDefined();
      expect(parsed.name.toLowerCase()).toBe(pkg?.name.toLowerCase());
      expect(parsed.qualifiers?.arch).toBe(pkg?.arch);
      if (os) expect(parsed.qualifiers?.distro).toBe(`${os.id}-${os.versionId}`);
    }
  });
});

describe('the Debian 12 BOM', () => {
  const packages = parseDpkgQuery(own('packages/debian-12__dpkg.txt'));
  const bom: CycloneDxBom = toCycloneDx({ host, os: debian, packages, asOf, serialNumber });
  const component = (name: string) => bom.components.find((c) => c.name === name);

  it('the validator does reject an invalid BOM (so its approval means something)', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    const broken = { ...bom, components: [{ ...bom.components[1], type: 'package' }] };
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
    const unknownField = { ...bom, metadata: { ...bom.metadata, asOf: '2026-11-29' } };
    expect(await validator.validate(JSON.stringify(unknownField))).not.toBeNull();
  });

  it('describes the host, the OS and when', () => {
    expect(bom.serialNumber).toBe(serialNumber);
    expect(bom.metadata.timestamp).toBe('2026-11-29T10:00:00.000Z');
    expect(bom.metadata.component).toEqual({
      type: 'device',
      'bom-ref': `hostintel:host:${host.id}`,
      name: 'deb12.example.net',
      properties: [{ name: 'hostintel:host:id', value: host.id }],
    });
    expect(bom.components[0]).toEqual({
      type: 'operating-system',
      'bom-ref': 'hostintel:os:debian@12',
      name: 'debian',
      version: '12',
      description: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect(packages).toHaveLength(850);
  });

  it('percent-encodes + and keeps a deb epoch in the version, as the deb purl type does', () => {
    expect(component('bsdutils')?.purl).toBe(
      'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12',
    );
    expect(component('libstdc++6')?.purl).toBe(
      'pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12',
    );
    expect(component('bsdutils')?.properties).toEqual([
      { name: 'hostintel:package:manager', value: 'dpkg' },
      { name: 'hostintel:package:arch', value: 'amd64' },
      { name: 'hostintel:package:epoch', value: '1' },
      { name: 'hostintel:package:source-name', value: 'util-linux' },
      { name: 'hostintel:package:source-version', value: '2.38.1-5+deb12u3' },
    ]);
  });

  it('can put the deb epoch in a qualifier instead (as Trivy does)', () => {
    const bsdutils = packages.find((p) => p.name === 'bsdutils') as PackageFact;
    const purl = packagePurl(bsdutils, debian, { debEpoch: 'qualifier' });
    expect(purl && formatPurl(purl)).toBe(
      'pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&epoch=1',
    );
  });

  it('is the same BOM for the same input, and a new serial number without one', () => {
    expect(toCycloneDx({ host, os: debian, packages, asOf, serialNumber })).toEqual(bom);
    const fresh = toCycloneDx({ host, os: debian, packages, asOf });
    expect(fresh.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(fresh.serialNumber).not.toBe(serialNumber);
  });
});

describe('rpm purls', () => {
  const packages = parseRpmQuery(own('packages/rpm-4.18-crafted__rpm.txt'));
  const bom = toCycloneDx({ host, os: rocky, packages, asOf, serialNumber });
  const purls = bom.components.flatMap((c) => (c.purl ? [c.purl] : []));

  it('version-release, epoch as a qualifier, one component per installed kernel', () => {
    expect(purls).toContain(
      'pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=x86_64&distro=rocky-9.0&epoch=1',
    );
    expect(purls).toContain(
      'pkg:rpm/rocky/zero-epoch@1.0-1.el9?arch=x86_64&distro=rocky-9.0&epoch=0',
    );
    expect(purls.filter((p) => p.startsWith('pkg:rpm/rocky/kernel@'))).toEqual([
      'pkg:rpm/rocky/kernel@5.14.0-362.8.1.el9_3?arch=x86_64&distro=rocky-9.0',
      'pkg:rpm/rocky/kernel@5.14.0-427.13.1.el9_4?arch=x86_64&distro=rocky-9.0',
    ]);
    expect(purls.filter((p) => p.startsWith('pkg:rpm/rocky/glibc@'))).toHaveLength(2);
    expect(bom.components.find((c) => c.name === 'tzdata')?.publisher).toBe(
      'Rocky Enterprise Software Foundation',
    );
  });
});

describe('apk and alpm purls', () => {
  it('apk: pkgver as the version, lowercase name', () => {
    const [pkg] = parseApkInstalled(own('packages/alpine-scalibr__apk.txt'));
    const purl = packagePurl(pkg as PackageFact, alpine);
    expect(purl && formatPurl(purl)).toBe(
      'pkg:apk/alpine/alpine-baselayout@3.4.3-r1?arch=x86_64&distro=alpine-3.23.2',
    );
  });

  it('alpm: without os facts, the arch namespace and no distro', () => {
    const [pkg] = parsePacmanDesc(own('packages/arch-scalibr__pacman.txt'));
    const purl = packagePurl(pkg as PackageFact, null);
    expect(purl && formatPurl(purl)).toBe('pkg:alpm/arch/gawk@5.3.1-1?arch=x86_64');
  });

  it('encodes UTF-8 and reserved characters', () => {
    expect(encodeComponent('a b/c@d?e#f&g=h+é:~')).toBe('a%20b%2Fc%40d%3Fe%23f%26g%3Dh%2B%C3%A9:~');
  });
});
