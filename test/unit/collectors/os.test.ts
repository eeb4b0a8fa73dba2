import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import {
  type OsFact,
  osCollector,
  parseKernelList,
  parseOsRelease,
  parseReleaseSection,
  parseRebootRequired,
} from '../../../collectors/os.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type { Section, Sections } from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/os');
const sharedFile = (name: string): string => readFileSync(path.join(shared, name), 'utf8');

/** A recording made by running every command of the collector on one host. */
function recorded(prefix: string): Record<string, Partial<Section>> {
  const exits = JSON.parse(readFileSync(path.join(own, `${prefix}__exit-codes.json`), 'utf8'));
  const outputs: Record<string, Partial<Section>> = {};
  for (const { id } of osCollector.commands) {
    const what = id.slice(id.indexOf('.') + 1);
    outputs[id] = {
      stdout: readFileSync(path.join(own, `${prefix}__${what}.txt`), 'utf8'),
      exitCode: exits[id].exitCode,
      stderrTail: exits[id].stderrTail,
    };
  }
  return outputs;
}

function osFact(sections: Sections): OsFact {
  const facts = osCollector.parse(sections).facts ?? [];
  expect(facts).toHaveLength(1);
  expect(facts[0]?.kind).toBe('os');
  expect(facts[0]?.key).toBe('os');
  return facts[0]?.value as OsFact;
}

describe('os collector on the Debian 12 recording', () => {
  const sections = sectionsOf(recorded('debian-12'));

  it('reads release, kernel, identity and reboot state', () => {
    expect(osFact(sections)).toEqual({
      id: 'debian',
      idLike: [],
      name: 'Debian GNU/Linux',
      version: '12 (bookworm)',
      versionId: '12',
      versionCodename: 'bookworm',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      releaseFile: '/etc/os-release',
      kernelRelease: '6.18.44-fc-v595',
      arch: 'x86_64',
      hostname: 'vm',
      fqdn: 'vm',
      machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
      bootId: 'f68d46b8-e474-4f74-b595-97cae5f4825d',
      virtualization: 'docker',
      // A container: no /sys/class/dmi/id, no /lib/modules, no /boot kernels.
      dmi: null,
      installedKernels: [],
      runningKernelInstalled: null,
      rebootRequired: false,
    });
  });

  it('is byte-identical when parsed twice', () => {
    expect(JSON.stringify(osFact(sections))).toBe(JSON.stringify(osFact(sections)));
  });

  it('declares commands with unique ids, a why each, and root only for serial/uuid', () => {
    const ids = osCollector.commands.map((command) => command.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('os.'))).toBe(true);
    expect(osCollector.commands.every((command) => command.why.length > 0)).toBe(true);
    expect(osCollector.commands.filter((command) => command.root).map((c) => c.id)).toEqual([
      'os.dmi-private',
    ]);
  });
});

describe('parseOsRelease on recorded os-release files', () => {
  const cases: [string, Partial<OsFact>][] = [
    [
      'rhel-8.6__facter.txt',
      {
        id: 'rhel',
        idLike: ['fedora'],
        versionId: '8.6',
        versionCodename: null,
        prettyName: 'Red Hat Enterprise Linux 8.6 (Ootpa)',
      },
    ],
    [
      'ubuntu-22.04__go-sysinfo.txt',
      { id: 'ubuntu', idLike: ['debian'], versionCodename: 'jammy' },
    ],
    ['alpine-3.23__python-distro.txt', { id: 'alpine', versionId: '3.23.2', idLike: [] }],
    ['arch__go-sysinfo.txt', { id: 'archarm', versionId: null, idLike: ['arch'] }],
    ['amazon-2__syft.txt', { id: 'amzn', versionId: '2', idLike: ['centos', 'rhel', 'fedora'] }],
    ['sles-15sp5__go-sysinfo.txt', { id: 'sles', versionId: '15.5', version: '15-SP5' }],
    ['debian-12__syft.txt', { id: 'debian', versionId: '12', versionCodename: 'bookworm' }],
    ['debian-13__python-distro.txt', { id: 'debian', versionId: '13', versionCodename: 'trixie' }],
    ['centos-7__jc.txt', { id: 'centos', versionId: '7', idLike: ['rhel', 'fedora'] }],
    ['almalinux-9__go-sysinfo.txt', { id: 'almalinux', versionId: '9.1' }],
    // Single-quoted values (OSTREE_VERSION='…') next to double-quoted ones.
    ['rhel-ai__insights.txt', { id: 'rhel', versionId: '9.4', name: 'Red Hat Enterprise Linux' }],
    // `# VERSION="20230108"` is a comment, not a value.
    ['opensuse-tumbleweed__go-sysinfo.txt', { idLike: ['opensuse', 'suse'], version: null }],
  ];

  for (const [file, expected] of cases) {
    it(file, () => {
      expect(parseOsRelease(sharedFile(`os-release/${file}`))).toMatchObject(expected);
    });
  }

  it('parses every os-release fixture', () => {
    const files = readdirSync(path.join(shared, 'os-release')).filter(
      (f) => !f.includes('centos-6'),
    );
    expect(files).toHaveLength(25);
    for (const file of files) {
      const release = parseOsRelease(sharedFile(`os-release/${file}`));
      expect(release.id).toMatch(/^[a-z0-9._-]+$/);
    }
  });

  it('records which file the snippet read', () => {
    const body = sharedFile('os-release/ubuntu-20.04__node_exporter.txt');
    expect(parseReleaseSection(`/usr/lib/os-release\n${body}`)).toMatchObject({
      id: 'ubuntu',
      versionId: '20.04',
      releaseFile: '/usr/lib/os-release',
    });
  });
});

describe('CentOS 6 release file (no os-release)', () => {
  it('maps "CentOS release 6.9 (Final)" to os-release conventions', () => {
    const body = sharedFile('os-release/centos-6__go-sysinfo_centos-release.txt');
    expect(parseReleaseSection(`/etc/centos-release\n${body}`)).toEqual({
      id: 'centos',
      idLike: ['rhel', 'fedora'],
      name: 'CentOS',
      version: '6.9 (Final)',
      // CentOS's os-release carries only the major version ("7"), so the same here.
      versionId: '6',
      versionCodename: null,
      prettyName: 'CentOS release 6.9 (Final)',
      releaseFile: '/etc/centos-release',
    });
  });

  it('keeps major.minor for RHEL', () => {
    const line = 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n';
    expect(parseReleaseSection(`/etc/redhat-release\n${line}`)).toMatchObject({
      id: 'rhel',
      versionId: '6.10',
      name: 'Red Hat Enterprise Linux Server',
    });
  });
});

describe('DMI', () => {
  // The node_exporter fixture is a ttar excerpt of a real /sys/class/dmi/id (a Dell
  // PowerEdge); product_serial and product_uuid there are mode 400, as on every kernel.
  const ttar = sharedFile('dmi/node_exporter__sys-class-dmi-id.ttar.txt');
  const attribute = (name: string): string => {
    const match = new RegExp(`Path: sys/class/dmi/id/${name}\\nLines: 1\\n(.*)\\n`).exec(ttar);
    if (!match?.[1]) throw new Error(`no ${name} in the ttar fixture`);
    return match[1];
  };
  const publicPart = ['sys_vendor', 'product_name']
    .map((name) => `${name}=${attribute(name)}\n`)
    .join('');
  const privatePart = ['product_serial', 'product_uuid']
    .map((name) => `${name}=${attribute(name)}\n`)
    .join('');
  const base = recorded('debian-12');

  it('reads vendor, model, serial and uuid as root', () => {
    const sections = sectionsOf({ ...base, 'os.dmi': publicPart, 'os.dmi-private': privatePart });
    expect(osFact(sections).dmi).toEqual({
      sysVendor: 'Dell Inc.',
      productName: 'PowerEdge R6515',
      productSerial: '7N62AI2',
      productUuid: '83340ca8-cb49-4474-8c29-d2088ca84dd9',
    });
  });

  it('leaves serial and uuid null when sudo is denied', () => {
    const sections = sectionsOf({
      ...base,
      'os.dmi': publicPart,
      'os.dmi-private': { exitCode: null, privilegeDenied: true },
    });
    expect(osFact(sections).dmi).toEqual({
      sysVendor: 'Dell Inc.',
      productName: 'PowerEdge R6515',
      productSerial: null,
      productUuid: null,
    });
  });
});

describe('installed kernels', () => {
  it('prefers versioned /boot images over a leftover module directory (Debian, RHEL)', () => {
    const out = [
      'modules 6.1.0-17-amd64',
      'modules 6.1.0-18-amd64',
      'modules 6.1.0-9-amd64',
      'boot 6.1.0-17-amd64',
      'boot 6.1.0-18-amd64',
      'boot 0-rescue-3d1219c7c4c5404aaa1f6d2a48adfda4',
    ].join('\n');
    expect(parseKernelList(out)).toEqual(['6.1.0-17-amd64', '6.1.0-18-amd64']);
  });

  it('uses module directories where /boot names are flavours (Arch, Alpine)', () => {
    const out = 'modules 6.6.7-arch1-1\nmodules 6.1.68-1-lts\nboot linux\nboot linux-lts\n';
    expect(parseKernelList(out)).toEqual(['6.1.68-1-lts', '6.6.7-arch1-1']);
  });

  it('says whether the running kernel is still installed', () => {
    const base = recorded('debian-12');
    const kernels = 'modules 6.1.0-18-amd64\nboot 6.1.0-18-amd64\n';
    const fact = osFact(sectionsOf({ ...base, 'os.kernels': kernels }));
    expect(fact.installedKernels).toEqual(['6.1.0-18-amd64']);
    expect(fact.runningKernelInstalled).toBe(false);
    const running = `modules 6.18.44-fc-v595\nboot 6.18.44-fc-v595\n${kernels}`;
    expect(osFact(sectionsOf({ ...base, 'os.kernels': running })).runningKernelInstalled).toBe(
      true,
    );
  });
});

describe('reboot required', () => {
  it('reads the Debian flag file and needs-restarting -r', () => {
    expect(parseRebootRequired('reboot-required-file present\n')).toBe(true);
    expect(parseRebootRequired('reboot-required-file absent\n')).toBe(false);
    const yes =
      'Core libraries or services have been updated since boot-up:\n  * kernel\n\n' +
      'Reboot is required to fully utilize these updates.\n' +
      'More information: https://access.redhat.com/solutions/27943\nneeds-restarting exit 1\n';
    expect(parseRebootRequired(yes)).toBe(true);
    const no =
      'No core libraries or services have been updated since boot-up.\n' +
      'Reboot should not be necessary.\nneeds-restarting exit 0\n';
    expect(parseRebootRequired(no)).toBe(false);
  });

  it('does not take an error exit of dnf for a yes', () => {
    expect(parseRebootRequired('needs-restarting exit 1\n')).toBeNull();
    expect(parseRebootRequired('unknown\n')).toBeNull();
    expect(parseRebootRequired(undefined)).toBeNull();
  });
});

describe('virtualization', () => {
  const base = recorded('debian-12');
  it('reads "none" with exit 1 as bare metal and a missing tool as unknown', () => {
    const metal = sectionsOf({ ...base, 'os.virt': { stdout: 'none\n', exitCode: 1 } });
    expect(osFact(metal).virtualization).toBe('none');
    const absent = sectionsOf({ ...base, 'os.virt': { stdout: '', exitCode: 127 } });
    expect(osFact(absent).virtualization).toBeNull();
  });
});

describe('hostile or broken output', () => {
  const base = recorded('debian-12');
  const withRelease = (stdout: string): Sections =>
    sectionsOf({ ...base, 'os.release': { stdout, exitCode: 0 } });

  it('rejects control characters and invalid UTF-8 in the ID', () => {
    expect(() => osFact(withRelease('/etc/os-release\nID=deb\u001bian\n'))).toThrow(ParseError);
    expect(() => osFact(withRelease('/etc/os-release\nID=deb\ufffdian\n'))).toThrow(ParseError);
  });

  it('rejects an overlong ID and lines that are not KEY=value', () => {
    expect(() => osFact(withRelease(`/etc/os-release\nID=${'x'.repeat(5000)}\n`))).toThrow(
      ParseError,
    );
    expect(() => osFact(withRelease('/etc/os-release\nID=debian\n<html>garbage\n'))).toThrow(
      ParseError,
    );
  });

  it('replaces control characters in free text', () => {
    const fact = osFact(withRelease('/etc/os-release\nID=debian\nPRETTY_NAME="a\u0007b"\n'));
    expect(fact.prettyName).toBe('a?b');
  });

  it('rejects a first line that is not one of the snippet paths', () => {
    expect(() => osFact(withRelease('/tmp/os-release\nID=debian\n'))).toThrow(ParseError);
    expect(() => osFact(withRelease(''))).toThrow(ParseError);
  });

  it('is unsupported without any release file and fails on a cut or garbled uname', () => {
    const none = sectionsOf({ ...base, 'os.release': { stdout: '', exitCode: 127 } });
    expect(() => osCollector.parse(none)).toThrow(UnsupportedError);
    const cut = sectionsOf({ ...base, 'os.uname': { stdout: '6.1.0', truncated: true } });
    expect(() => osCollector.parse(cut)).toThrow(ParseError);
    const garbled = sectionsOf({ ...base, 'os.uname': '6.1.0 x86_64 extra\n' });
    expect(() => osCollector.parse(garbled)).toThrow(ParseError);
  });

  it('treats a malformed machine-id as unknown rather than storing it', () => {
    const sections = sectionsOf({ ...base, 'os.machine-id': 'uninitialized\n' });
    expect(osFact(sections).machineId).toBeNull();
  });
});
