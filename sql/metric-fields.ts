// The metric series and their fields: the API name of each field and its column in the
// metrics tables (migration 004) and hourly rollups (migration 005, `<column>_avg`/`_max`).
// One list drives the inserts, the range queries and the rollups.

export const metricSeries = ['host', 'fs', 'net', 'disk'] as const;
export type MetricSeries = (typeof metricSeries)[number];

export const metricFields = {
  host: {
    cpuUserPct: 'cpu_user_pct',
    cpuSystemPct: 'cpu_system_pct',
    cpuIowaitPct: 'cpu_iowait_pct',
    cpuStealPct: 'cpu_steal_pct',
    cpuIdlePct: 'cpu_idle_pct',
    load1: 'load1',
    load5: 'load5',
    load15: 'load15',
    memTotalBytes: 'mem_total_bytes',
    memAvailableBytes: 'mem_available_bytes',
    memUsedBytes: 'mem_used_bytes',
    swapTotalBytes: 'swap_total_bytes',
    swapUsedBytes: 'swap_used_bytes',
    procsRunning: 'procs_running',
    procsTotal: 'procs_total',
    uptimeSeconds: 'uptime_s',
  },
  fs: {
    sizeBytes: 'size_bytes',
    usedBytes: 'used_bytes',
    availBytes: 'avail_bytes',
    inodesTotal: 'inodes_total',
    inodesUsed: 'inodes_used',
  },
  net: {
    rxBytesPerSec: 'rx_bytes_per_s',
    txBytesPerSec: 'tx_bytes_per_s',
    rxPacketsPerSec: 'rx_packets_per_s',
    txPacketsPerSec: 'tx_packets_per_s',
    rxErrorsPerSec: 'rx_errors_per_s',
    txErrorsPerSec: 'tx_errors_per_s',
  },
  disk: {
    readBytesPerSec: 'read_bytes_per_s',
    writeBytesPerSec: 'write_bytes_per_s',
    readIops: 'read_iops',
    writeIops: 'write_iops',
    utilPct: 'util_pct',
  },
} as const;

export type MetricField<S extends MetricSeries> = keyof (typeof metricFields)[S];

/** Each series' table, its per-series label column (none for host), and its hourly rollup. */
export const metricTables = {
  host: { table: 'host_metrics', label: null, hourly: 'host_metrics_hourly' },
  fs: { table: 'fs_metrics', label: 'mount', hourly: 'fs_metrics_hourly' },
  net: { table: 'net_metrics', label: 'iface', hourly: null },
  disk: { table: 'disk_metrics', label: 'device', hourly: null },
} as const;

/** [API field, column] pairs of a series. */
export function fieldColumns<S extends MetricSeries>(series: S): [MetricField<S>, string][] {
  return Object.entries(metricFields[series]) as [MetricField<S>, string][];
}
