// The contract between the probe (which runs commands on a host) and the collectors
// (which turn their output into facts). Collectors are pure: they never do I/O.

export const collectorStatuses = [
  'ok',
  'failed',
  'timeout',
  'needs-privilege',
  'unsupported',
] as const;
export type CollectorStatus = (typeof collectorStatuses)[number];

/** One allowlisted command. `id` names its section in the probe output. */
export interface CommandSpec {
  readonly id: string;
  /** Fixed POSIX-sh text; never built from host-provided data. Runs under LC_ALL=C. */
  readonly command: string;
  /**
   * `required`: run through `sudo -n`; without sudo the section is not run and is marked
   * privilegeDenied. `preferred`: through `sudo -n` when the host allows it, else as the user
   * (e.g. `ss -p` sees every process only as root). Absent: always as the login user.
   */
  readonly root?: 'required' | 'preferred';
  /** Why the command is there, shown in `hostintel collectors` and GET /v1/collectors. */
  readonly why: string;
}

/** What one command produced on the host. */
export interface Section {
  readonly id: string;
  /** Exit status; 127 = command not found, 124 = per-section timeout; null = never ran/finished. */
  readonly exitCode: number | null;
  readonly stdout: string;
  /** The last few hundred bytes of stderr. */
  readonly stderrTail: string;
  /** stdout exceeded the per-section byte cap and was cut. */
  readonly truncated: boolean;
  /** Remote wall time of the command, when the host could tell (Linux /proc/uptime). */
  readonly elapsedMs?: number | null;
  /** A root command that was not run because the credential has no sudo, or sudo refused. */
  readonly privilegeDenied: boolean;
}

export type Sections = ReadonlyMap<string, Section>;

/** A state fact: one (kind, key) of a host, written on change. */
export interface Fact<V = Record<string, unknown>> {
  readonly kind: string;
  /** Natural key, unique within (host, kind). */
  readonly key: string;
  readonly value: V;
}

export interface CollectorOutput {
  readonly facts?: readonly Fact[];
  /** Raw counters and gauges (metrics collector only). */
  readonly metrics?: RawMetrics;
}

export interface Collector {
  readonly name: string;
  readonly description: string;
  /** The fact kinds this collector owns: on success they are replaced, on failure untouched. */
  readonly kinds: readonly string[];
  readonly commands: readonly CommandSpec[];
  /** Pure. Throws a CollectorError subclass when the host cannot answer. */
  parse(sections: Sections): CollectorOutput;
}

/** Raw metrics as read from /proc and df: counters are cumulative, rates come later. */
export interface RawMetrics {
  readonly cpu?: CpuCounters;
  readonly load?: { readonly load1: number; readonly load5: number; readonly load15: number };
  readonly memory?: {
    readonly totalBytes: number;
    readonly availableBytes: number;
    readonly usedBytes: number;
    readonly swapTotalBytes: number;
    readonly swapUsedBytes: number;
  };
  readonly processes?: { readonly running: number; readonly total: number };
  readonly uptimeSeconds?: number;
  readonly filesystems?: readonly FilesystemUsage[];
  readonly interfaces?: readonly InterfaceCounters[];
  readonly disks?: readonly DiskCounters[];
}

/** Jiffies summed over all CPUs (the `cpu` line of /proc/stat). */
export interface CpuCounters {
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
}

export interface FilesystemUsage {
  readonly mount: string;
  readonly device: string;
  readonly fstype: string;
  readonly sizeBytes: number;
  readonly usedBytes: number;
  readonly availBytes: number;
  readonly inodesTotal: number | null;
  readonly inodesUsed: number | null;
}

export interface InterfaceCounters {
  readonly name: string;
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly rxErrors: number;
  readonly txBytes: number;
  readonly txPackets: number;
  readonly txErrors: number;
}

export interface DiskCounters {
  readonly name: string;
  readonly readsCompleted: number;
  readonly sectorsRead: number;
  readonly writesCompleted: number;
  readonly sectorsWritten: number;
  /** Milliseconds spent doing I/O (field 10 of /proc/diskstats). */
  readonly ioMs: number;
}
