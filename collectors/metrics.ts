// The metrics collector: raw counters and gauges from /proc and df, no facts. Rates are computed
// later from two samples (rates.ts). Every source is read by its own section, so one that is
// missing (a container without /proc/diskstats) leaves only its part of RawMetrics empty.
import { ParseError, UnsupportedError } from './errors.ts';
import { isPseudoMount } from './hardware.ts';
import { count, identifier, text } from './sanitize.ts';
import { readFileCommand } from './script.ts';
import { NOT_FOUND, okOutput } from './section.ts';
import type {
  Collector,
  CpuCounters,
  DiskCounters,
  FilesystemUsage,
  InterfaceCounters,
  RawMetrics,
  Sections,
} from './types.ts';

export const metricsCommands = [
  { id: 'metrics.stat', command: 'cat /proc/stat', why: 'CPU time counters' },
  // One-line files are read with shell builtins (readFileCommand): a probe starts no process
  // for them. /proc/stat and the other multi-line files stay with cat.
  {
    id: 'metrics.loadavg',
    command: readFileCommand('/proc/loadavg'),
    why: 'load average and task counts',
  },
  { id: 'metrics.meminfo', command: 'cat /proc/meminfo', why: 'memory and swap usage' },
  { id: 'metrics.netdev', command: 'cat /proc/net/dev', why: 'network interface counters' },
  { id: 'metrics.diskstats', command: 'cat /proc/diskstats', why: 'disk I/O counters' },
  {
    id: 'metrics.blockdevs',
    // `ls /sys/block` with builtins: the same names in the same (C) order, the same statuses.
    command:
      'cd /sys/block || exit; ' +
      'for d in *; do [ -e "$d" ] || [ -L "$d" ] && printf \'%s\\n\' "$d"; done; exit 0',
    why: 'which diskstats entries are whole disks (partitions are left out)',
  },
  {
    id: 'metrics.uptime',
    command: readFileCommand('/proc/uptime'),
    why: 'uptime, to tell reboots apart',
  },
  {
    id: 'metrics.df',
    // -T: the filesystem type tells real storage from tmpfs/overlay; -P: one line per mount.
    command: 'df -P -T -B1',
    why: 'filesystem size and usage in bytes',
  },
  { id: 'metrics.dfinodes', command: 'df -P -T -i', why: 'filesystem inode usage' },
] as const satisfies readonly { id: string; command: string; why: string }[];

// ---------------------------------------------------------------------------------------------
// /proc

const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** The aggregate `cpu` line of /proc/stat. Fields an old kernel does not print count as 0. */
export function parseProcStat(output: string): CpuCounters {
  const line = output.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new ParseError('/proc/stat has no cpu line');
  const values = line.trim().split(/\s+/).slice(1);
  if (values.length < 4) throw new ParseError('/proc/stat cpu line is too short');
  const counters = Object.fromEntries(
    CPU_FIELDS.map((field, i) => {
      const value = values[i];
      return [field, value === undefined ? 0 : count(value, `/proc/stat ${field}`)];
    }),
  );
  return counters as unknown as CpuCounters;
}

/** /proc/loadavg: `0.75 0.40 0.22 3/127 11485`; the task counts include threads. */
export function parseLoadavg(output: string): Pick<RawMetrics, 'load' | 'processes'> {
  const match = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\/(\d+) \d+\s*$/.exec(output);
  if (!match)
    throw new ParseError(`unreadable /proc/loadavg ${JSON.stringify(output.slice(0, 60))}`);
  return {
    load: { load1: Number(match[1]), load5: Number(match[2]), load15: Number(match[3]) },
    processes: { running: Number(match[4]), total: Number(match[5]) },
  };
}

/**
 * /proc/meminfo in bytes. Available memory is MemAvailable (kernel ≥ 3.14); older kernels get
 * the classic estimate MemFree + Buffers + Cached.
 */
export function parseMeminfo(output: string): NonNullable<RawMetrics['memory']> {
  const kb = new Map<string, number>();
  for (const line of output.split('\n')) {
    const match = /^([A-Za-z0-9_()]+):\s+(\d+)(?: kB)?\s*$/.exec(line);
    if (match?.[1]) kb.set(match[1], count(match[2], match[1]) * 1024);
  }
  const need = (key: string) => {
    const value = kb.get(key);
    if (value === undefined) throw new ParseError(`/proc/meminfo has no ${key}`);
    return value;
  };
  const totalBytes = need('MemTotal');
  const availableBytes =
    kb.get('MemAvailable') ?? need('MemFree') + need('Buffers') + need('Cached');
  const swapTotalBytes = kb.get('SwapTotal') ?? 0;
  return {
    totalBytes,
    availableBytes,
    usedBytes: Math.max(0, totalBytes - availableBytes),
    swapTotalBytes,
    swapUsedBytes: Math.max(0, swapTotalBytes - (kb.get('SwapFree') ?? swapTotalBytes)),
  };
}

/** /proc/net/dev: two header lines, then `name: 8 receive and 8 transmit counters`. */
export function parseNetDev(output: string): InterfaceCounters[] {
  const interfaces: InterfaceCounters[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '' || line.includes('|')) continue;
    // Old kernels glue the first counter to the colon (`eth0:123`); names have no colon today.
    const colon = line.lastIndexOf(':');
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (colon < 0 || values.length < 16) {
      throw new ParseError(`unreadable /proc/net/dev line ${JSON.stringify(line.slice(0, 60))}`);
    }
    const name = identifier(line.slice(0, colon).trim(), 'interface name');
    const at = (i: number) => count(values[i], `/proc/net/dev ${name}`);
    interfaces.push({
      name,
      rxBytes: at(0),
      rxPackets: at(1),
      rxErrors: at(2),
      txBytes: at(8),
      txPackets: at(9),
      txErrors: at(10),
    });
  }
  return interfaces;
}

// Without /sys/block, partitions are recognised by name: sda1, vdb2, xvda1, dasda1, nvme0n1p1,
// mmcblk0p1, md0p1, nbd0p1.
const PARTITION_NAME =
  /^(?:(?:[shv]d|xvd|dasd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+|md\d+|nbd\d+|loop\d+)p\d+)$/;

/**
 * /proc/diskstats → counters of whole disks, device-mapper and md devices. Partitions (their
 * I/O is already in their disk's), loop and RAM disks are left out. `wholeDevices` is the
 * listing of /sys/block when available.
 */
export function parseDiskstats(output: string, wholeDevices?: ReadonlySet<string>): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const name = identifier(fields[2] ?? '', 'disk name');
    if (/^(?:loop|ram|zram|fd)\d+$/.test(name)) continue;
    const isPartition = wholeDevices ? !wholeDevices.has(name) : PARTITION_NAME.test(name);
    if (isPartition) continue;
    if (fields.length < 14) {
      throw new ParseError(`unreadable /proc/diskstats line ${JSON.stringify(line.slice(0, 60))}`);
    }
    const at = (i: number) => count(fields[i], `/proc/diskstats ${name}`);
    disks.push({
      name,
      readsCompleted: at(3),
      sectorsRead: at(5),
      writesCompleted: at(7),
      sectorsWritten: at(9),
      ioMs: at(12),
    });
  }
  return disks;
}

/** `ls /sys/block` → the set of whole block devices. */
export function parseBlockDevices(output: string): Set<string> {
  return new Set(
    output
      .split(/\s+/)
      .filter((n) => n !== '')
      .map((n) => identifier(n, 'block device')),
  );
}

/** /proc/uptime: seconds since boot (first field). */
export function parseUptime(output: string): number {
  const match = /^(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s*$/.exec(output);
  if (!match)
    throw new ParseError(`unreadable /proc/uptime ${JSON.stringify(output.slice(0, 40))}`);
  return Number(match[1]);
}

// ---------------------------------------------------------------------------------------------
// df

type DfRow = { device: string; fstype: string; mount: string; values: string[] };
type DfTable = { rows: DfRow[]; blockSize: number };

// The size column header names the unit: `1-blocks` (-B1), `1B-blocks` (BusyBox -B1),
// `1024-blocks` / `1K-blocks` (default), `Inodes` (-i, counts).
function dfBlockSize(header: string, what: string): number {
  if (/\sInodes\s/.test(header)) return 1;
  const match = /\s(\d+)([KMG]?)B?-blocks\s/.exec(header);
  if (!match) throw new ParseError(`${what}: unknown size column in ${JSON.stringify(header)}`);
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * scale;
}

function dfRows(output: string, what: string): DfTable {
  const lines = output.split('\n');
  const header = lines.shift() ?? '';
  if (!header.startsWith('Filesystem')) throw new ParseError(`${what}: no header line`);
  const blockSize = dfBlockSize(header, what);
  const typed = /^Filesystem\s+Type\s/.test(header);
  const numbers = 4;
  const rows: DfRow[] = [];
  let carried = '';
  for (const raw of lines) {
    if (raw.trim() === '') continue;
    // A long device name on a line of its own (some df versions wrap instead of widening).
    if (!/\s/.test(raw.trim())) {
      carried = raw.trim();
      continue;
    }
    const line = carried === '' ? raw : `${carried} ${raw.trim()}`;
    carried = '';
    const words = line.trim().split(/\s+/);
    const head = typed ? 2 : 1;
    if (words.length < head + numbers + 1) {
      throw new ParseError(`${what}: unreadable line ${JSON.stringify(line.slice(0, 60))}`);
    }
    // The mount point is the rest of the line after the capacity column (it may hold spaces).
    const prefix = new RegExp(`^\\s*${'\\S+\\s+'.repeat(head + numbers)}`);
    rows.push({
      device: words[0] ?? '',
      fstype: typed ? (words[1] ?? '') : '',
      values: words.slice(head, head + numbers),
      mount: line.replace(prefix, '').trimEnd(),
    });
  }
  if (carried !== '') throw new ParseError(`${what}: output ends in the middle of a line`);
  return { rows, blockSize };
}

/**
 * `df -P -T -B1` (and, to join by mount point, `df -P -T -i`) → usage of real filesystems.
 * Without a Type column the device name stands in for it (tmpfs, devtmpfs, overlay…).
 */
export function parseDf(blocks: string, inodes?: string): FilesystemUsage[] {
  const inodeRows = new Map<string, string[]>();
  for (const row of inodes === undefined ? [] : dfRows(inodes, 'df -i').rows) {
    inodeRows.set(row.mount, row.values);
  }
  const byMount = new Map<string, FilesystemUsage>();
  const { rows, blockSize } = dfRows(blocks, 'df');
  for (const row of rows) {
    const mount = identifier(row.mount, 'mount point');
    if (row.values.some((v) => v === '-')) continue;
    if (isPseudoMount(row.fstype || row.device, mount)) continue;
    const [size, used, avail] = row.values
      .slice(0, 3)
      .map((v) => count(v, `df ${mount}`) * blockSize);
    if (!size) continue;
    const [inodesTotal, inodesUsed] = inodeCounts(inodeRows.get(row.mount), mount);
    byMount.set(mount, {
      mount,
      device: text(row.device),
      fstype: text(row.fstype),
      sizeBytes: size,
      usedBytes: used ?? 0,
      availBytes: avail ?? 0,
      inodesTotal,
      inodesUsed,
    });
  }
  return [...byMount.values()];
}

// btrfs, vfat and network filesystems report 0 or `-` inodes: they have no fixed inode table.
function inodeCounts(values: string[] | undefined, mount: string): [number | null, number | null] {
  if (!values || values[0] === '-' || values[0] === '0') return [null, null];
  return [count(values[0], `df -i ${mount}`), count(values[1], `df -i ${mount}`)];
}

// ---------------------------------------------------------------------------------------------
// The collector

export const metricsCollector: Collector = {
  name: 'metrics',
  description: 'CPU, load, memory, network, disk I/O and filesystem usage counters',
  kinds: [],
  commands: metricsCommands,
  parse(sections: Sections) {
    const ok = (id: string): string | undefined => {
      const section = sections.get(id);
      return section && section.exitCode === 0 && !section.truncated && !section.privilegeDenied
        ? section.stdout
        : undefined;
    };
    // df exits 1 when one mount could not be read (a FUSE mount of another user) but still
    // prints every other filesystem.
    const dfOk = (id: string): string | undefined => {
      const section = sections.get(id);
      if (!section || section.truncated || (section.exitCode !== 0 && section.exitCode !== 1)) {
        return undefined;
      }
      return section.stdout.startsWith('Filesystem') ? section.stdout : undefined;
    };
    const stat = ok('metrics.stat');
    const loadavg = ok('metrics.loadavg');
    const meminfo = ok('metrics.meminfo');
    const netdev = ok('metrics.netdev');
    const diskstats = ok('metrics.diskstats');
    const blockdevs = ok('metrics.blockdevs');
    const uptime = ok('metrics.uptime');
    const df = dfOk('metrics.df');
    const metrics: RawMetrics = {
      ...(stat === undefined ? {} : { cpu: parseProcStat(stat) }),
      ...(loadavg === undefined ? {} : parseLoadavg(loadavg)),
      ...(meminfo === undefined ? {} : { memory: parseMeminfo(meminfo) }),
      ...(uptime === undefined ? {} : { uptimeSeconds: parseUptime(uptime) }),
      ...(df === undefined ? {} : { filesystems: parseDf(df, dfOk('metrics.dfinodes')) }),
      ...(netdev === undefined ? {} : { interfaces: parseNetDev(netdev) }),
      ...(diskstats === undefined
        ? {}
        : {
            disks: parseDiskstats(
              diskstats,
              blockdevs === undefined ? undefined : parseBlockDevices(blockdevs),
            ),
          }),
    };
    if (Object.keys(metrics).length === 0) {
      const ids = metricsCommands.map((c) => c.id);
      if (ids.every((id) => sections.get(id)?.exitCode === NOT_FOUND)) {
        throw new UnsupportedError('none of /proc, /sys or df could be read');
      }
      // Throws the error that fits the first section (timeout, privilege, exit status…).
      for (const id of ids) okOutput(sections, id);
      throw new ParseError('metrics: no section produced a metric');
    }
    return { metrics };
  },
};
