import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsCollector } from '../../../collectors/metrics.ts';
import { computeRates, type Sample } from '../../../collectors/rates.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type {
  CpuCounters,
  DiskCounters,
  InterfaceCounters,
  RawMetrics,
} from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/metrics');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

/** The recorded metrics sections of sample t0 or t1 of this host (see metrics fixtures). */
const recordedSample = (which: 't0' | 't1') =>
  Object.fromEntries(
    metricsCollector.commands.map((c) => [
      c.id,
      ownFile(`debian-12-${which}__${c.id.split('.')[1]}.txt`),
    ]),
  );

const times = JSON.parse(ownFile('debian-12__sample-times.json')) as {
  'debian-12-t0': string;
  'debian-12-t1': string;
};
const sample = (which: 't0' | 't1'): Sample => ({
  at: new Date(times[`debian-12-${which}`]),
  metrics: metricsCollector.parse(sectionsOf(recordedSample(which))).metrics ?? {},
});

describe('computeRates on two consecutive samples of this host', () => {
  // Between t0 and t1: 64 MiB written with O_DIRECT to vda, 50 UDP datagrams to 127.0.0.1.
  const t0 = sample('t0');
  const t1 = sample('t1');
  const seconds = (Date.parse(times['debian-12-t1']) - Date.parse(times['debian-12-t0'])) / 1000;

  it('derives CPU shares from the jiffy deltas', () => {
    // user +88, nice +0, system +18, idle +440, iowait +5, irq +0, softirq +1, steal +5.
    const total = 88 + 18 + 440 + 5 + 1 + 5;
    const cpu = computeRates(t0, t1).cpu;
    expect(cpu?.userPct).toBeCloseTo((88 / total) * 100, 10);
    expect(cpu?.systemPct).toBeCloseTo(((18 + 1) / total) * 100, 10);
    expect(cpu?.iowaitPct).toBeCloseTo((5 / total) * 100, 10);
    expect(cpu?.stealPct).toBeCloseTo((5 / total) * 100, 10);
    expect(cpu?.idlePct).toBeCloseTo((440 / total) * 100, 10);
    const sum =
      (cpu?.userPct ?? 0) +
      (cpu?.systemPct ?? 0) +
      (cpu?.iowaitPct ?? 0) +
      (cpu?.stealPct ?? 0) +
      (cpu?.idlePct ?? 0);
    expect(sum).toBeCloseTo(100, 10);
  });

  it('derives loopback traffic and the write burst on vda', () => {
    const rates = computeRates(t0, t1);
    expect(seconds).toBeCloseTo(2.845, 3);
    const lo = rates.interfaces.find((i) => i.name === 'lo');
    expect(lo?.rxBytesPerSec).toBeCloseTo((109379 - 29179) / seconds, 10);
    expect(lo?.txPacketsPerSec).toBeCloseTo((288 - 188) / seconds, 10);
    expect(rates.interfaces.find((i) => i.name === 'eth0')).toMatchObject({
      rxBytesPerSec: 0,
      txBytesPerSec: 0,
    });
    expect(rates.disks).toHaveLength(1);
    const vda = rates.disks[0];
    expect(vda?.name).toBe('vda');
    expect(vda?.readIops).toBe(0);
    expect(vda?.readBytesPerSec).toBe(0);
    expect(vda?.writeIops).toBeCloseTo((29423 - 29319) / seconds, 10);
    expect(vda?.writeBytesPerSec).toBeCloseTo(((3181376 - 3049648) * 512) / seconds, 10);
    expect(vda?.utilPct).toBeCloseTo(((16960 - 16908) / (seconds * 1000)) * 100, 10);
  });

  it('has no rates for the first sample', () => {
    expect(computeRates(undefined, t1)).toEqual({ cpu: null, interfaces: [], disks: [] });
  });

  it('has no rates when the samples are swapped (time and counters go backwards)', () => {
    expect(computeRates(t1, t0)).toEqual({ cpu: null, interfaces: [], disks: [] });
  });
});

describe('computeRates with known deltas (node_exporter counters as the first sample)', () => {
  // The cpu line of node_exporter's /proc/stat, jc's /proc/net/dev and node_exporter's sda line
  // of /proc/diskstats; the second sample adds known deltas over 10 seconds.
  const cpu0: CpuCounters = {
    user: 301854,
    nice: 612,
    system: 111922,
    idle: 8979004,
    iowait: 3552,
    irq: 2,
    softirq: 3944,
    steal: 0,
  };
  const lo: InterfaceCounters = {
    name: 'lo',
    rxBytes: 13222,
    rxPackets: 152,
    rxErrors: 0,
    txBytes: 13222,
    txPackets: 152,
    txErrors: 0,
  };
  const ens33: InterfaceCounters = {
    name: 'ens33',
    rxBytes: 60600053,
    rxPackets: 109378,
    rxErrors: 0,
    txBytes: 44256546,
    txPackets: 121425,
    txErrors: 0,
  };
  const sda: DiskCounters = {
    name: 'sda',
    readsCompleted: 25354637,
    sectorsRead: 1003346126,
    writesCompleted: 28444756,
    sectorsWritten: 505697032,
    ioMs: 9653880,
  };
  const base: RawMetrics = {
    cpu: cpu0,
    interfaces: [lo, ens33],
    disks: [sda],
    uptimeSeconds: 1000,
  };

  const cpu1: CpuCounters = {
    user: cpu0.user + 300,
    nice: cpu0.nice + 100,
    system: cpu0.system + 120,
    idle: cpu0.idle + 400,
    iowait: cpu0.iowait + 30,
    irq: cpu0.irq + 20,
    softirq: cpu0.softirq + 10,
    steal: cpu0.steal + 20,
  };
  const ens33Later: InterfaceCounters = {
    ...ens33,
    rxBytes: ens33.rxBytes + 1_250_000,
    txBytes: ens33.txBytes + 50_000,
    rxPackets: ens33.rxPackets + 1000,
    txPackets: ens33.txPackets + 400,
    rxErrors: ens33.rxErrors + 3,
  };
  const sdaLater: DiskCounters = {
    ...sda,
    readsCompleted: sda.readsCompleted + 100,
    sectorsRead: sda.sectorsRead + 2000,
    writesCompleted: sda.writesCompleted + 50,
    sectorsWritten: sda.sectorsWritten + 4000,
    ioMs: sda.ioMs + 500,
  };
  const plus: RawMetrics = {
    cpu: cpu1,
    interfaces: [lo, ens33Later],
    disks: [sdaLater],
    uptimeSeconds: 1010,
  };

  const at0 = new Date('2026-01-01T00:00:00Z');
  const at10 = new Date('2026-01-01T00:00:10Z');
  const first: Sample = { at: at0, metrics: base };
  const later = (metrics: RawMetrics): Sample => ({ at: at10, metrics });

  it('starts from the real fixture counters', () => {
    const cpuLine = sharedFile('proc/node_exporter__stat.txt').split('\n')[0];
    expect(cpuLine).toBe('cpu  301854 612 111922 8979004 3552 2 3944 0 44 36');
    expect(sharedFile('proc/jc__net_dev.txt')).toContain('ens33: 60600053  109378');
    expect(sharedFile('proc/node_exporter__diskstats.txt')).toContain(
      'sda 25354637 34367663 1003346126 18492372 28444756 11134226 505697032 63877960 0 9653880',
    );
  });

  it('computes exact rates over 10 seconds', () => {
    const rates = computeRates(first, later(plus));
    // 1000 jiffies: user 300 + nice 100, system 120 + irq 20 + softirq 10, idle 400…
    expect(rates.cpu).toEqual({
      userPct: 40,
      systemPct: 15,
      iowaitPct: 3,
      stealPct: 2,
      idlePct: 40,
    });
    expect(rates.interfaces).toEqual([
      {
        name: 'lo',
        rxBytesPerSec: 0,
        txBytesPerSec: 0,
        rxPacketsPerSec: 0,
        txPacketsPerSec: 0,
        rxErrorsPerSec: 0,
        txErrorsPerSec: 0,
      },
      {
        name: 'ens33',
        rxBytesPerSec: 125_000,
        txBytesPerSec: 5_000,
        rxPacketsPerSec: 100,
        txPacketsPerSec: 40,
        rxErrorsPerSec: 0.3,
        txErrorsPerSec: 0,
      },
    ]);
    expect(rates.disks).toEqual([
      {
        name: 'sda',
        readBytesPerSec: 102_400,
        writeBytesPerSec: 204_800,
        readIops: 10,
        writeIops: 5,
        utilPct: 5,
      },
    ]);
  });

  it('gives no rate for a series whose counter went down, and keeps the others', () => {
    const reset = later({
      ...plus,
      cpu: { ...cpu1, iowait: cpu0.iowait - 1 },
      interfaces: [lo, { ...ens33Later, rxBytes: 10 }],
      disks: [{ ...sdaLater, ioMs: sda.ioMs - 10_000 }],
    });
    const rates = computeRates(first, reset);
    expect(rates.interfaces.map((i) => i.name)).toEqual(['lo']);
    expect(rates.disks).toEqual([]);
    expect(rates.cpu).toBeNull();
  });

  it('gives nothing across a reboot, even for counters that climbed past their old value', () => {
    expect(computeRates(first, later({ ...plus, uptimeSeconds: 5 }))).toEqual({
      cpu: null,
      interfaces: [],
      disks: [],
    });
  });

  it('gives nothing for a zero or negative interval', () => {
    expect(computeRates({ at: at10, metrics: base }, { at: at10, metrics: plus })).toEqual({
      cpu: null,
      interfaces: [],
      disks: [],
    });
    expect(computeRates({ at: at10, metrics: base }, { at: at0, metrics: plus }).disks).toEqual([]);
  });

  it('skips series present in only one sample, and a CPU without elapsed jiffies', () => {
    const rates = computeRates(
      first,
      later({ ...plus, cpu: cpu0, interfaces: [{ ...ens33Later, name: 'ens34' }] }),
    );
    expect(rates.interfaces).toEqual([]);
    expect(rates.cpu).toBeNull();
  });

  it('caps utilisation at 100 % (io time accounting overshoots slightly)', () => {
    const busy = later({ ...plus, disks: [{ ...sda, ioMs: sda.ioMs + 10_250 }] });
    expect(computeRates(first, busy).disks[0]?.utilPct).toBe(100);
  });

  it('returns an empty list for a part a sample lacks', () => {
    const rates = computeRates(first, later({ ...plus, disks: undefined }));
    expect(rates.disks).toEqual([]);
    expect(rates.interfaces).toHaveLength(2);
  });
});
