// Rates from two consecutive RawMetrics samples of one host. Pure. A series whose counter went
// down (reboot, counter reset, interface or disk recreated) gets no rate for that interval:
// never a negative or absurd one.
import type { CpuCounters, DiskCounters, InterfaceCounters, RawMetrics } from './types.ts';

export type Sample = { readonly at: Date; readonly metrics: RawMetrics };

/**
 * Shares of CPU time over the interval, in percent; the five add up to 100. `userPct` includes
 * nice, `systemPct` includes hard and soft IRQ time (as vmstat's `sy`), so that nothing is
 * left out of the sum. Guest time is not added: the kernel already counts it in user.
 */
export type CpuRates = {
  readonly userPct: number;
  readonly systemPct: number;
  readonly iowaitPct: number;
  readonly stealPct: number;
  readonly idlePct: number;
};

export type InterfaceRates = {
  readonly name: string;
  readonly rxBytesPerSec: number;
  readonly txBytesPerSec: number;
  readonly rxPacketsPerSec: number;
  readonly txPacketsPerSec: number;
  readonly rxErrorsPerSec: number;
  readonly txErrorsPerSec: number;
};

export type DiskRates = {
  readonly name: string;
  readonly readBytesPerSec: number;
  readonly writeBytesPerSec: number;
  readonly readIops: number;
  readonly writeIops: number;
  /** Share of the interval the device was busy, capped at 100. */
  readonly utilPct: number;
};

export type Rates = {
  readonly cpu: CpuRates | null;
  readonly interfaces: readonly InterfaceRates[];
  readonly disks: readonly DiskRates[];
};

/** /proc/diskstats counts 512-byte sectors whatever the device's own sector size. */
export const SECTOR_BYTES = 512;

const NO_RATES: Rates = { cpu: null, interfaces: [], disks: [] };

export function computeRates(previous: Sample | undefined, current: Sample): Rates {
  if (!previous) return NO_RATES;
  const seconds = (current.at.getTime() - previous.at.getTime()) / 1000;
  if (!(seconds > 0)) return NO_RATES;
  // Uptime going back means a reboot in between: every counter restarted from zero, and one
  // that has already climbed past its old value would still give a wrong rate.
  const before = previous.metrics.uptimeSeconds;
  const after = current.metrics.uptimeSeconds;
  if (before !== undefined && after !== undefined && after < before) return NO_RATES;
  return {
    cpu: cpuRates(previous.metrics.cpu, current.metrics.cpu),
    interfaces: pairs(previous.metrics.interfaces, current.metrics.interfaces, (a, b) =>
      interfaceRates(a, b, seconds),
    ),
    disks: pairs(previous.metrics.disks, current.metrics.disks, (a, b) => diskRates(a, b, seconds)),
  };
}

function cpuRates(a: CpuCounters | undefined, b: CpuCounters | undefined): CpuRates | null {
  if (!a || !b) return null;
  const d = {
    user: b.user - a.user,
    nice: b.nice - a.nice,
    system: b.system - a.system,
    idle: b.idle - a.idle,
    iowait: b.iowait - a.iowait,
    irq: b.irq - a.irq,
    softirq: b.softirq - a.softirq,
    steal: b.steal - a.steal,
  };
  // iowait can step back by a tick on some kernels; any decrease makes the interval unusable.
  if (Object.values(d).some((v) => v < 0)) return null;
  const total = Object.values(d).reduce((sum, v) => sum + v, 0);
  if (total <= 0) return null;
  const pct = (v: number) => (v / total) * 100;
  return {
    userPct: pct(d.user + d.nice),
    systemPct: pct(d.system + d.irq + d.softirq),
    iowaitPct: pct(d.iowait),
    stealPct: pct(d.steal),
    idlePct: pct(d.idle),
  };
}

function interfaceRates(
  a: InterfaceCounters,
  b: InterfaceCounters,
  seconds: number,
): InterfaceRates | null {
  const deltas = [
    b.rxBytes - a.rxBytes,
    b.txBytes - a.txBytes,
    b.rxPackets - a.rxPackets,
    b.txPackets - a.txPackets,
    b.rxErrors - a.rxErrors,
    b.txErrors - a.txErrors,
  ];
  if (deltas.some((d) => d < 0)) return null;
  const [rxBytes = 0, txBytes = 0, rxPackets = 0, txPackets = 0, rxErrors = 0, txErrors = 0] =
    deltas;
  return {
    name: b.name,
    rxBytesPerSec: rxBytes / seconds,
    txBytesPerSec: txBytes / seconds,
    rxPacketsPerSec: rxPackets / seconds,
    txPacketsPerSec: txPackets / seconds,
    rxErrorsPerSec: rxErrors / seconds,
    txErrorsPerSec: txErrors / seconds,
  };
}

function diskRates(a: DiskCounters, b: DiskCounters, seconds: number): DiskRates | null {
  const reads = b.readsCompleted - a.readsCompleted;
  const writes = b.writesCompleted - a.writesCompleted;
  const read = b.sectorsRead - a.sectorsRead;
  const written = b.sectorsWritten - a.sectorsWritten;
  const busyMs = b.ioMs - a.ioMs;
  if (reads < 0 || writes < 0 || read < 0 || written < 0 || busyMs < 0) return null;
  return {
    name: b.name,
    readBytesPerSec: (read * SECTOR_BYTES) / seconds,
    writeBytesPerSec: (written * SECTOR_BYTES) / seconds,
    readIops: reads / seconds,
    writeIops: writes / seconds,
    utilPct: Math.min(100, (busyMs / (seconds * 1000)) * 100),
  };
}

/** Series present in both samples, matched by name, in the current sample's order. */
function pairs<T extends { readonly name: string }, R>(
  previous: readonly T[] | undefined,
  current: readonly T[] | undefined,
  rate: (a: T, b: T) => R | null,
): R[] {
  if (!previous || !current) return [];
  const before = new Map(previous.map((s) => [s.name, s]));
  const out: R[] = [];
  for (const series of current) {
    const old = before.get(series.name);
    const value = old ? rate(old, series) : null;
    if (value !== null) out.push(value);
  }
  return out;
}
