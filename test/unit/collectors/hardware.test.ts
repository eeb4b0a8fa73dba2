import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NeedsPrivilegeError, ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import {
  type BlockDeviceFact,
  hardwareCollector,
  isPseudoMount,
  parseCpuinfo,
  parseFindmnt,
  parseLsblkJson,
  parseLsblkPairs,
  parseLscpu,
  parseMemTotal,
  parseProcMounts,
} from '../../../collectors/hardware.ts';
import { sectionsOf } from '../../../collectors/section.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/hardware');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

describe('parseLscpu', () => {
  it('reads this Debian 12 guest', () => {
    expect(parseLscpu(ownFile('debian-12__lscpu.txt'))).toEqual({
      model: 'AMD EPYC',
      vendor: 'AuthenticAMD',
      arch: 'x86_64',
      sockets: 1,
      coresPerSocket: 2,
      threadsPerCore: 1,
      cpus: 2,
    });
  });

  it('reads a two-socket RHEL 9 host and keeps the model text as lscpu prints it', () => {
    expect(parseLscpu(sharedFile('misc/ohai__lscpu-x86-host-rhel9.txt'))).toEqual({
      model: 'Intel(R) Xeon(R) CPU           X5680  @ 3.33GHz',
      vendor: 'GenuineIntel',
      arch: 'x86_64',
      sockets: 2,
      coresPerSocket: 6,
      threadsPerCore: 1,
      cpus: 12,
    });
  });

  it('takes the first value of a repeated key and reads "-" as unknown', () => {
    const hybrid = [
      'Architecture:        aarch64',
      'CPU(s):              8',
      'Vendor ID:           ARM',
      '  Model name:        Cortex-A55',
      '    Socket(s):       -',
      '    Core(s) per socket: 4',
      '  Model name:        Cortex-A76',
      '    Core(s) per socket: 4',
    ].join('\n');
    expect(parseLscpu(hybrid)).toMatchObject({
      model: 'Cortex-A55',
      sockets: null,
      coresPerSocket: 4,
      threadsPerCore: null,
      cpus: 8,
    });
  });

  it('refuses output without a CPU(s) line', () => {
    expect(() => parseLscpu('Architecture: x86_64\n')).toThrow(ParseError);
    expect(() => parseLscpu('')).toThrow(ParseError);
  });

  it('refuses a non-numeric count', () => {
    expect(() => parseLscpu('CPU(s): lots\n')).toThrow(ParseError);
  });
});

describe('parseCpuinfo (uname -m, then /proc/cpuinfo)', () => {
  it('agrees with lscpu on this Debian 12 guest', () => {
    expect(parseCpuinfo(ownFile('debian-12__cpuinfo.txt'))).toEqual(
      parseLscpu(ownFile('debian-12__lscpu.txt')),
    );
  });

  it('reads a KVM guest with one core on each of two sockets', () => {
    const cpuinfo = sharedFile('proc/ohai__cpuinfo-x86-guest-kvm-nested-rhel9.txt');
    expect(parseCpuinfo(`x86_64\n${cpuinfo}`)).toEqual({
      model: 'Intel Core Processor (Haswell, no TSX, IBRS)',
      vendor: 'GenuineIntel',
      arch: 'x86_64',
      sockets: 2,
      coresPerSocket: 1,
      threadsPerCore: 1,
      cpus: 2,
    });
  });

  it('derives threads per core from siblings / cpu cores', () => {
    const cpuinfo = sharedFile('proc/node_exporter__cpuinfo.txt');
    expect(parseCpuinfo(`x86_64\n${cpuinfo}`)).toMatchObject({
      model: 'Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz',
      sockets: 1,
      coresPerSocket: 4,
      threadsPerCore: 2,
      cpus: 8,
    });
  });

  it('reads an s390x LPAR (# processors, machine type)', () => {
    const cpuinfo = sharedFile('proc/ohai__cpuinfo-s390x.txt');
    expect(parseCpuinfo(`s390x\n${cpuinfo}`)).toEqual({
      model: '8561',
      vendor: 'IBM/S390',
      arch: 's390x',
      sockets: null,
      coresPerSocket: null,
      threadsPerCore: null,
      cpus: 4,
    });
  });

  it('names a Graviton2 core from its implementer and part codes', () => {
    const cpuinfo = sharedFile('proc/ohai__cpuinfo-aarch64-graviton2.txt');
    expect(parseCpuinfo(`aarch64\n${cpuinfo}`)).toEqual({
      model: 'Neoverse-N1',
      vendor: 'ARM',
      arch: 'aarch64',
      sockets: null,
      coresPerSocket: null,
      threadsPerCore: null,
      cpus: 2,
    });
  });

  it('refuses a cpuinfo without processors or without the uname -m line', () => {
    expect(() => parseCpuinfo('x86_64\nflags : fpu\n')).toThrow(ParseError);
    expect(() => parseCpuinfo(sharedFile('proc/jc__cpuinfo2.txt'))).toThrow(ParseError);
  });
});

describe('parseMemTotal', () => {
  it('reads MemTotal in bytes', () => {
    expect(parseMemTotal(ownFile('debian-12__meminfo.txt'))).toEqual({
      totalBytes: 24684096 * 1024,
    });
    expect(parseMemTotal(sharedFile('proc/node_exporter__meminfo.txt'))).toEqual({
      totalBytes: 3742148 * 1024,
    });
  });

  it('refuses a meminfo without MemTotal', () => {
    expect(() => parseMemTotal('MemFree: 1 kB\n')).toThrow(ParseError);
  });
});

describe('block devices', () => {
  const vda: BlockDeviceFact = {
    name: 'vda',
    type: 'disk',
    sizeBytes: 274877906944,
    model: null,
    serial: null,
    rotational: true,
    removable: false,
    parent: null,
  };

  it('reads lsblk -J on this host', () => {
    const devices = parseLsblkJson(ownFile('debian-12__lsblk.txt'));
    expect(devices.map((d) => d.name)).toEqual(['vda', 'zram0']);
    expect(devices[0]).toEqual(vda);
    expect(devices[1]).toMatchObject({ name: 'zram0', sizeBytes: 0, rotational: false });
  });

  it('gives the same facts from lsblk -P and from the /sys/block snippet', () => {
    const json = parseLsblkJson(ownFile('debian-12__lsblk.txt'));
    expect(parseLsblkPairs(ownFile('debian-12__lsblk-P.txt'))).toEqual(json);
    expect(parseLsblkPairs(ownFile('debian-12__sysblock.txt'))).toEqual(json);
  });

  it('walks a tree, resolves PKNAME through KNAME and drops loop devices', () => {
    // Shape of util-linux 2.38 lsblk -J for LVM on a partition plus a snap loop image.
    const dev = (
      name: string,
      kname: string,
      type: string,
      size: number,
      pkname: string | null,
    ) => ({
      name,
      kname,
      type,
      size,
      model: null,
      serial: null,
      rota: true,
      rm: false,
      pkname,
    });
    const crypt = dev('cryptdata', 'dm-1', 'crypt', 10720641024, 'dm-0');
    const lvm = { ...dev('vg0-root', 'dm-0', 'lvm', 10737418240, 'sda2'), children: [crypt] };
    const part = { ...dev('sda2', 'sda2', 'part', 20400000000, 'sda'), children: [lvm] };
    const disk = {
      ...dev('sda', 'sda', 'disk', 21474836480, null),
      model: 'VBOX HARDDISK   ',
      serial: 'VB1234',
      children: [part],
    };
    const loop = { ...dev('loop0', 'loop0', 'loop', 58363904, null), rota: false };
    const tree = JSON.stringify({ blockdevices: [loop, disk] });
    const devices = parseLsblkJson(tree);
    expect(devices.map((d) => [d.name, d.type, d.parent])).toEqual([
      ['cryptdata', 'crypt', 'vg0-root'],
      ['sda', 'disk', null],
      ['sda2', 'part', 'sda'],
      ['vg0-root', 'lvm', 'sda2'],
    ]);
    expect(devices.find((d) => d.name === 'sda')).toMatchObject({
      model: 'VBOX HARDDISK',
      serial: 'VB1234',
    });
  });

  it('reads util-linux < 2.33 JSON, where every value is a string', () => {
    const old =
      '{"blockdevices": [{"name": "sdb", "kname": "sdb", "type": "disk", ' +
      '"size": "1000204886016", "model": "ST1000DM003-1CH1", "serial": null, "rota": "1", ' +
      '"rm": "0", "pkname": null}]}';
    expect(parseLsblkJson(old)).toEqual([
      {
        name: 'sdb',
        type: 'disk',
        sizeBytes: 1000204886016,
        model: 'ST1000DM003-1CH1',
        serial: null,
        rotational: true,
        removable: false,
        parent: null,
      },
    ]);
  });

  it('reads the /sys/block snippet over a constructed tree with LVM, md and a CD drive', () => {
    // The hardware.sysblock command run by dash over a constructed /sys/block tree (the
    // fixture's README lists it): dm-0 is vg0-root on sda2, listed before its parent.
    const out = ownFile('fake-sys-tree__sysblock.txt');
    const devices = parseLsblkPairs(out);
    expect(devices.map((d) => `${d.name}:${d.type}:${d.parent}`)).toEqual([
      'md0:raid1:null',
      'sda:disk:null',
      'sda1:part:sda',
      'sda2:part:sda',
      'sr0:rom:null',
      'vg0-root:lvm:sda2',
    ]);
    expect(devices.find((d) => d.name === 'sda')?.model).toBe('Samsung SSD 860');
    expect(devices.find((d) => d.name === 'sr0')?.removable).toBe(true);
  });

  it('decodes \\xHH escapes in -P values', () => {
    const line =
      'NAME="sdc" KNAME="sdc" TYPE="disk" SIZE="512" MODEL="USB\\x20\\x22Stick\\x22" SERIAL="" ' +
      'ROTA="0" RM="1" PKNAME=""';
    expect(parseLsblkPairs(line)[0]?.model).toBe('USB "Stick"');
  });

  it('refuses human-readable sizes (lsblk run without -b)', () => {
    expect(() => parseLsblkPairs(sharedFile('storage/rhel__insights_lsblk-P-o-ext.txt'))).toThrow(
      ParseError,
    );
  });

  it('refuses hostile or broken output', () => {
    expect(() => parseLsblkJson('{"blockdevices": [{"name": "sd')).toThrow(ParseError);
    expect(() => parseLsblkJson('{"devices": []}')).toThrow(ParseError);
    expect(() => parseLsblkJson('{"blockdevices": [{"name": {"x": 1}}]}')).toThrow(ParseError);
    const evil = (name: string) =>
      `NAME="${name}" KNAME="x" TYPE="disk" SIZE="1" MODEL="" SERIAL="" ROTA="0" RM="0" PKNAME=""`;
    expect(() => parseLsblkPairs(evil('sd\\x1b[31ma'))).toThrow(ParseError);
    expect(() => parseLsblkPairs(evil('sd\ufffd'))).toThrow(ParseError);
    expect(() => parseLsblkPairs(evil('s'.repeat(300)))).toThrow(ParseError);
    expect(() => parseLsblkPairs('NAME="sda" garbage here')).toThrow(ParseError);
    expect(() => parseLsblkPairs(evil('sda').replace('ROTA="0"', 'ROTA="maybe"'))).toThrow(
      ParseError,
    );
  });
});

describe('mounts', () => {
  it('keeps only real storage on this host', () => {
    expect(parseFindmnt(ownFile('debian-12__findmnt.txt'))).toEqual([
      {
        mountpoint: '/',
        device: '/dev/vda',
        fstype: 'ext4',
        options: 'rw,relatime,discard,resv_strict,resuid=65534,resgid=65534',
      },
    ]);
  });

  it('decodes escapes and drops tmpfs and container overlays (mount namespace recording)', () => {
    const mounts = parseFindmnt(ownFile('debian-12-mountns__findmnt.txt'));
    expect(mounts.map((m) => m.mountpoint)).toEqual(['/', '/mnt/bind', '/srv/data dir']);
    expect(mounts[2]).toEqual({
      mountpoint: '/srv/data dir',
      device: '/dev/loop0',
      fstype: 'ext4',
      options: 'rw,noatime',
    });
  });

  it('reads /proc/mounts to the same facts as findmnt', () => {
    expect(parseProcMounts(ownFile('debian-12-mountns__proc-mounts.txt'))).toEqual(
      parseFindmnt(ownFile('debian-12-mountns__findmnt.txt')),
    );
    expect(parseProcMounts(ownFile('debian-12__proc-mounts.txt'))).toEqual(
      parseFindmnt(ownFile('debian-12__findmnt.txt')),
    );
  });

  it('decodes multi-byte UTF-8 escapes', () => {
    const line = '/mnt/caf\\xc3\\xa9 /dev/sdb1 ext4 rw';
    expect(parseFindmnt(line)[0]?.mountpoint).toBe('/mnt/café');
    expect(parseProcMounts('/dev/sdb1 /mnt/a\\040b\\134c ext4 rw 0 0')[0]?.mountpoint).toBe(
      '/mnt/a b\\c',
    );
  });

  it('keeps the topmost of over-mounted entries', () => {
    const out = '/data /dev/sdb1 ext4 rw\n/data /dev/sdc1 xfs ro\n/data2 /dev/sdd1 xfs rw\n';
    expect(parseFindmnt(out).map((m) => `${m.mountpoint}:${m.device}`)).toEqual([
      '/data:/dev/sdc1',
      '/data2:/dev/sdd1',
    ]);
    // An automount point: autofs first, the real filesystem mounted over it when accessed.
    const autofs = '/boot/efi systemd-1 autofs rw,fd=44\n/boot/efi /dev/sda1 vfat rw\n';
    expect(parseFindmnt(autofs).map((m) => m.fstype)).toEqual(['vfat']);
  });

  it('classifies pseudo filesystems', () => {
    expect(isPseudoMount('tmpfs', '/run')).toBe(true);
    expect(isPseudoMount('cgroup2', '/sys/fs/cgroup')).toBe(true);
    expect(isPseudoMount('overlay', '/var/lib/docker/overlay2/x/merged')).toBe(true);
    expect(isPseudoMount('overlay', '/')).toBe(false);
    expect(isPseudoMount('squashfs', '/snap/core20/1974')).toBe(true);
    expect(isPseudoMount('squashfs', '/media/cdrom')).toBe(false);
    expect(isPseudoMount('nfs4', '/home')).toBe(false);
  });

  it('refuses hostile or broken lines', () => {
    expect(() => parseFindmnt('/a /dev/sda1 ext4')).toThrow(ParseError);
    expect(() => parseFindmnt('/a\\x0a/b /dev/sda1 ext4 rw')).toThrow(ParseError);
    expect(() => parseFindmnt('/\ufffd /dev/sda1 ext4 rw')).toThrow(ParseError);
    expect(() => parseFindmnt(`/${'a'.repeat(300)} /dev/sda1 ext4 rw`)).toThrow(ParseError);
    expect(() => parseProcMounts('/dev/sda1 / ext4 rw')).toThrow(ParseError);
  });
});

describe('hardwareCollector.parse', () => {
  const recorded = () => ({
    'hardware.lscpu': ownFile('debian-12__lscpu.txt'),
    'hardware.cpuinfo': '',
    'hardware.meminfo': ownFile('debian-12__meminfo.txt'),
    'hardware.lsblk': ownFile('debian-12__lsblk.txt'),
    'hardware.sysblock': '',
    'hardware.findmnt': ownFile('debian-12__findmnt.txt'),
    'hardware.mounts': '',
  });

  it('turns this host into cpu, memory, block_device and mount facts', () => {
    const { facts } = hardwareCollector.parse(sectionsOf(recorded()));
    expect(facts?.map((f) => `${f.kind}/${f.key}`)).toEqual([
      'cpu/cpu',
      'memory/memory',
      'block_device/vda',
      'block_device/zram0',
      'mount//',
    ]);
    expect(facts?.[1]?.value).toEqual({ totalBytes: 25276514304 });
  });

  it('is byte-for-byte stable across runs', () => {
    const a = JSON.stringify(hardwareCollector.parse(sectionsOf(recorded())));
    const b = JSON.stringify(hardwareCollector.parse(sectionsOf(recorded())));
    expect(a).toBe(b);
  });

  it('uses the fallbacks when lscpu, lsblk and findmnt are absent (BusyBox)', () => {
    const primary = hardwareCollector.parse(sectionsOf(recorded()));
    const fallback = hardwareCollector.parse(
      sectionsOf({
        ...recorded(),
        'hardware.lscpu': { exitCode: 127 },
        'hardware.cpuinfo': ownFile('debian-12__cpuinfo.txt'),
        'hardware.lsblk': { exitCode: 127 },
        'hardware.sysblock': ownFile('debian-12__sysblock.txt'),
        'hardware.findmnt': { exitCode: 127 },
        'hardware.mounts': ownFile('debian-12__proc-mounts.txt'),
      }),
    );
    expect(fallback).toEqual(primary);
  });

  it('gives the same facts from BusyBox sh and applets only (no util-linux)', () => {
    // Every hardware.* command run by busybox sh with a PATH of BusyBox 1.35 applets.
    const busybox = hardwareCollector.parse(
      sectionsOf({
        ...recorded(),
        'hardware.lscpu': { exitCode: 127 },
        'hardware.cpuinfo': ownFile('debian-12-busybox__cpuinfo.txt'),
        'hardware.lsblk': { exitCode: 127 },
        'hardware.sysblock': ownFile('debian-12-busybox__sysblock.txt'),
        'hardware.findmnt': { exitCode: 127 },
        'hardware.mounts': ownFile('debian-12-busybox__mounts.txt'),
      }),
    );
    expect(busybox).toEqual(hardwareCollector.parse(sectionsOf(recorded())));
  });

  it('says unsupported when neither the tool nor its fallback exists', () => {
    const sections = sectionsOf({
      ...recorded(),
      'hardware.lsblk': { exitCode: 127 },
      'hardware.sysblock': { exitCode: 127 },
    });
    expect(() => hardwareCollector.parse(sections)).toThrow(UnsupportedError);
  });

  it('fails rather than returning partial facts', () => {
    expect(() =>
      hardwareCollector.parse(sectionsOf({ ...recorded(), 'hardware.findmnt': { exitCode: 1 } })),
    ).toThrow(ParseError);
    expect(() =>
      hardwareCollector.parse(
        sectionsOf({ ...recorded(), 'hardware.lsblk': { stdout: '{"block', truncated: true } }),
      ),
    ).toThrow(ParseError);
    const { 'hardware.meminfo': _, ...withoutMeminfo } = recorded();
    expect(() => hardwareCollector.parse(sectionsOf(withoutMeminfo))).toThrow(ParseError);
    expect(() =>
      hardwareCollector.parse(
        sectionsOf({ ...recorded(), 'hardware.lscpu': { privilegeDenied: true } }),
      ),
    ).toThrow(NeedsPrivilegeError);
  });

  it('declares only its own section ids, each with a reason', () => {
    for (const command of hardwareCollector.commands) {
      expect(command.id).toMatch(/^hardware\.[a-z]+$/);
      expect(command.why.length).toBeGreaterThan(10);
      expect(command.root).toBeUndefined();
    }
  });
});
