import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, SectionTimeoutError, UnsupportedError } from '../../../collectors/errors.ts';
import {
  metricsCollector,
  parseBlockDevices,
  parseDf,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  parseUptime,
} from '../../../collectors/metrics.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type { Section } from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/metrics');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

const ids = metricsCollector.commands.map((c) => c.id);
/** The recorded sections of sample t0 or t1 of this host, keyed by section id. */
function recordedSample(sample: 't0' | 't1'): Record<string, string | Partial<Section>> {
  return Object.fromEntries(
    ids.map((id) => [id, ownFile(`debian-12-${sample}__${id.split('.')[1]}.txt`)]),
  );
}

describe('/proc parsers', () => {
  it('reads the cpu line of /proc/stat', () => {
    expect(parseProcStat(ownFile('debian-12-t0__stat.txt'))).toEqual({
      user: 101593,
      nice: 0,
      system: 61383,
      idle: 8046046,
      iowait: 1012,
      irq: 0,
      softirq: 235,
      steal: 6095,
    });
    expect(parseProcStat(sharedFile('proc/fedora-30__go-sysinfo_proc-stat.txt'))).toMatchObject({
      user: 31608779,
      steal: 266903,
    });
  });

  it('counts fields an old kernel does not print as zero', () => {
    expect(parseProcStat('cpu  100 2 30 4000\ncpu0 100 2 30 4000\n')).toEqual({
      user: 100,
      nice: 2,
      system: 30,
      idle: 4000,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
    });
  });

  it('reads /proc/loadavg', () => {
    expect(parseLoadavg(ownFile('debian-12-t0__loadavg.txt'))).toEqual({
      load: { load1: 1.04, load5: 1.62, load15: 1.55 },
      processes: { running: 2, total: 187 },
    });
    expect(parseLoadavg(sharedFile('proc/node_exporter__loadavg.txt')).processes).toEqual({
      running: 1,
      total: 719,
    });
  });

  it('reads /proc/meminfo with MemAvailable, and estimates it on old kernels', () => {
    expect(parseMeminfo(ownFile('debian-12-t0__meminfo.txt'))).toEqual({
      totalBytes: 24684096 * 1024,
      availableBytes: 23810132 * 1024,
      usedBytes: (24684096 - 23810132) * 1024,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
    });
    // node_exporter's fixture predates MemAvailable: MemFree + Buffers + Cached.
    expect(parseMeminfo(sharedFile('proc/node_exporter__meminfo.txt'))).toEqual({
      totalBytes: 3742148 * 1024,
      availableBytes: (225472 + 22040 + 930888) * 1024,
      usedBytes: (3742148 - 225472 - 22040 - 930888) * 1024,
      swapTotalBytes: 4194300 * 1024,
      swapUsedBytes: (4194300 - 3155360) * 1024,
    });
    expect(parseMeminfo(sharedFile('proc/jc__meminfo.txt')).availableBytes).toBe(3386876 * 1024);
  });

  it('reads /proc/net/dev', () => {
    const interfaces = parseNetDev(ownFile('debian-12-t0__netdev.txt'));
    expect(interfaces.map((i) => i.name)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(interfaces[3]).toEqual({
      name: 'eth0',
      rxBytes: 378967459,
      rxPackets: 9470,
      rxErrors: 0,
      txBytes: 562287,
      txPackets: 5797,
      txErrors: 0,
    });
    expect(parseNetDev(sharedFile('proc/jc__net_dev.txt'))[1]).toEqual({
      name: 'ens33',
      rxBytes: 60600053,
      rxPackets: 109378,
      rxErrors: 0,
      txBytes: 44256546,
      txPackets: 121425,
      txErrors: 0,
    });
    // Kernels before 2.6 glued the first counter to the colon.
    expect(parseNetDev('  eth0:1234 5 0 0 0 0 0 0 678 9 0 0 0 0 0 0\n')[0]).toMatchObject({
      rxBytes: 1234,
      txBytes: 678,
    });
  });

  it('keeps whole disks of /proc/diskstats and leaves out partitions, loop and RAM disks', () => {
    const wholeDevices = parseBlockDevices(ownFile('debian-12-t0__blockdevs.txt'));
    expect([...wholeDevices]).toContain('vda');
    expect(parseDiskstats(ownFile('debian-12-t0__diskstats.txt'), wholeDevices)).toEqual([
      {
        name: 'vda',
        readsCompleted: 70282,
        sectorsRead: 3604994,
        writesCompleted: 29319,
        sectorsWritten: 3049648,
        ioMs: 16908,
      },
    ]);
    // Without /sys/block, partitions are recognised by their names.
    const disks = parseDiskstats(sharedFile('proc/node_exporter__diskstats.txt'));
    expect(disks.map((d) => d.name)).toEqual([
      'sda',
      'dm-0',
      'dm-1',
      'dm-2',
      'dm-3',
      'dm-4',
      'dm-5',
      'mmcblk0',
      'vda',
      'sr0',
      'nvme0n1',
      'sdb',
      'sdc',
    ]);
    expect(disks[0]).toEqual({
      name: 'sda',
      readsCompleted: 25354637,
      sectorsRead: 1003346126,
      writesCompleted: 28444756,
      sectorsWritten: 505697032,
      ioMs: 9653880,
    });
  });

  it('reads /proc/uptime', () => {
    expect(parseUptime(ownFile('debian-12-t0__uptime.txt'))).toBe(41158.26);
  });

  it('refuses garbled or hostile /proc output', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(ParseError);
    expect(() => parseProcStat('cpu  1 2\n')).toThrow(ParseError);
    expect(() => parseProcStat('cpu  1 2 x 4\n')).toThrow(ParseError);
    expect(() => parseLoadavg('high\n')).toThrow(ParseError);
    expect(() => parseMeminfo('MemFree: 1 kB\n')).toThrow(ParseError);
    expect(() => parseNetDev('  eth0: 1 2 3\n')).toThrow(ParseError);
    expect(() => parseNetDev(`  e\u001bth0: ${'0 '.repeat(16)}\n`)).toThrow(ParseError);
    expect(() => parseDiskstats('   8 0 sda 1 2 3\n')).toThrow(ParseError);
    expect(() => parseDiskstats(`   8 0 ${'s'.repeat(300)} ${'0 '.repeat(14)}\n`)).toThrow(
      ParseError,
    );
    expect(() => parseUptime('\ufffd\n')).toThrow(ParseError);
  });
});

describe('parseDf', () => {
  it('keeps real filesystems of this host with their inodes', () => {
    expect(parseDf(ownFile('debian-12-t0__df.txt'), ownFile('debian-12-t0__dfinodes.txt'))).toEqual(
      [
        {
          mount: '/',
          device: '/dev/vda',
          fstype: 'ext4',
          sizeBytes: 270553174016,
          usedBytes: 24302637056,
          availBytes: 84641656832,
          inodesTotal: 16777216,
          inodesUsed: 419990,
        },
      ],
    );
  });

  it('drops tmpfs and container overlays, keeps a loop-mounted ext4 (mount namespace)', () => {
    const usage = parseDf(
      ownFile('debian-12-mountns__df.txt'),
      ownFile('debian-12-mountns__df-inodes.txt'),
    );
    expect(usage.map((u) => u.mount)).toEqual(['/', '/mnt/bind']);
    expect(usage[1]).toEqual({
      mount: '/mnt/bind',
      device: '/dev/loop0',
      fstype: 'ext4',
      sizeBytes: 14410752,
      usedBytes: 14336,
      availBytes: 13222912,
      inodesTotal: 4096,
      inodesUsed: 11,
    });
  });

  it('reads BusyBox 1.35 df (its own inode header, no de-duplication)', () => {
    expect(
      parseDf(ownFile('debian-12-busybox__df.txt'), ownFile('debian-12-busybox__dfinodes.txt')),
    ).toEqual([
      {
        mount: '/',
        device: '/dev/vda',
        fstype: 'ext4',
        sizeBytes: 270553174016,
        usedBytes: 24306204672,
        availBytes: 84638089216,
        inodesTotal: 16777216,
        inodesUsed: 420315,
      },
    ]);
  });

  it('scales 1024-blocks and reads a long device name (df -T -P, jc)', () => {
    expect(parseDf(sharedFile('storage/generic__jc_df-long-filesystem.txt'))).toEqual([
      {
        mount: '/',
        device: '/dev/mapper/VolGroup00-LogVol00',
        fstype: 'ext3',
        sizeBytes: 6030784 * 1024,
        usedBytes: 1147932 * 1024,
        availBytes: 4571556 * 1024,
        inodesTotal: null,
        inodesUsed: null,
      },
    ]);
  });

  it('joins a device name wrapped onto its own line with the next line', () => {
    const wrapped = [
      'Filesystem     Type 1-blocks   Used Available Capacity Mounted on',
      '/dev/mapper/very--long--volume--group-root',
      '               xfs  1000000  250000    750000      25% /srv/data',
    ].join('\n');
    expect(parseDf(wrapped)).toEqual([
      {
        mount: '/srv/data',
        device: '/dev/mapper/very--long--volume--group-root',
        fstype: 'xfs',
        sizeBytes: 1000000,
        usedBytes: 250000,
        availBytes: 750000,
        inodesTotal: null,
        inodesUsed: null,
      },
    ]);
    expect(() => parseDf(wrapped.split('\n').slice(0, 2).join('\n'))).toThrow(ParseError);
  });

  it('reads df -alP without a Type column: pseudo rows out, spaces in mount points kept', () => {
    const usage = parseDf(
      sharedFile('storage/rhel__insights_df-alP.txt'),
      sharedFile('storage/rhel__insights_df-li.txt'),
    );
    expect(usage.map((u) => [u.mount, u.sizeBytes, u.inodesTotal])).toEqual([
      ['/', 17813504 * 1024, 8911872],
      ['/V M T o o l s', 52402180 * 1024, null],
      ['/boot', 1038336 * 1024, 524288],
    ]);
  });

  it('refuses unreadable output', () => {
    expect(() => parseDf('')).toThrow(ParseError);
    expect(() => parseDf('Filesystem Type Size Used Avail Use% Mounted on\n')).toThrow(ParseError);
    const head = 'Filesystem Type 1-blocks Used Available Capacity Mounted on\n';
    expect(() => parseDf(`${head}/dev/sda1 ext4 10 x 5 50% /\n`)).toThrow(ParseError);
    expect(() => parseDf(`${head}/dev/sda1 ext4 10 5\n`)).toThrow(ParseError);
    expect(() => parseDf(`${head}/dev/sda1 ext4 10 5 5 50% /a\u0007b\n`)).toThrow(ParseError);
  });
});

describe('metricsCollector.parse', () => {
  it('gives RawMetrics of this host and no facts', () => {
    const output = metricsCollector.parse(sectionsOf(recordedSample('t0')));
    expect(output.facts).toBeUndefined();
    const metrics = output.metrics;
    expect(metrics?.cpu?.idle).toBe(8046046);
    expect(metrics?.load?.load1).toBe(1.04);
    expect(metrics?.processes).toEqual({ running: 2, total: 187 });
    expect(metrics?.memory?.totalBytes).toBe(25276514304);
    expect(metrics?.uptimeSeconds).toBe(41158.26);
    expect(metrics?.filesystems?.map((f) => f.mount)).toEqual(['/']);
    expect(metrics?.interfaces?.map((i) => i.name)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(metrics?.disks?.map((d) => d.name)).toEqual(['vda']);
    expect(metricsCollector.kinds).toEqual([]);
  });

  it('leaves out only the part whose source failed', () => {
    const { metrics } = metricsCollector.parse(
      sectionsOf({
        ...recordedSample('t0'),
        'metrics.diskstats': { exitCode: 1, stderrTail: 'cat: /proc/diskstats: No such file' },
        'metrics.df': { exitCode: 124 },
      }),
    );
    expect(metrics?.disks).toBeUndefined();
    expect(metrics?.filesystems).toBeUndefined();
    expect(metrics?.cpu).toBeDefined();
  });

  it('uses df output that exits 1 because one mount was unreadable', () => {
    const { metrics } = metricsCollector.parse(
      sectionsOf({
        ...recordedSample('t0'),
        'metrics.df': {
          exitCode: 1,
          stdout: ownFile('debian-12-t0__df.txt'),
          stderrTail: 'df: /run/user/1000/doc: Operation not permitted\n',
        },
      }),
    );
    expect(metrics?.filesystems?.map((f) => f.mount)).toEqual(['/']);
  });

  it('falls back to partition names when /sys/block is not listed', () => {
    const { metrics } = metricsCollector.parse(
      sectionsOf({ ...recordedSample('t0'), 'metrics.blockdevs': { exitCode: 2 } }),
    );
    expect(metrics?.disks?.map((d) => d.name)).toEqual(['vda']);
  });

  it('throws when nothing at all could be read', () => {
    const all = (section: Partial<Section>) =>
      sectionsOf(Object.fromEntries(ids.map((id) => [id, section])));
    expect(() => metricsCollector.parse(all({ exitCode: 127 }))).toThrow(UnsupportedError);
    expect(() => metricsCollector.parse(all({ exitCode: 124 }))).toThrow(SectionTimeoutError);
    expect(() => metricsCollector.parse(all({ exitCode: 1 }))).toThrow(ParseError);
  });

  it('refuses a garbled section that claims success', () => {
    expect(() =>
      metricsCollector.parse(sectionsOf({ ...recordedSample('t0'), 'metrics.stat': 'garbage\n' })),
    ).toThrow(ParseError);
  });
});
