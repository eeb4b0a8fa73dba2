// Metrics ingest: a host's raw sample (counters and gauges) becomes rows of the four metrics
// tables, rates computed from the previous sample the host actor keeps; many hosts' rows are
// written together, one binary COPY per table, the four at once on their own connections.
import { computeRates, type Sample } from '../collectors/rates.ts';
import type { RawMetrics } from '../collectors/types.ts';
import type { Sql } from './client.ts';
import { BinaryCopyEncoder, copyBinary } from './copy.ts';
import { type MetricSeries, metricFields, metricSeries } from './metric-fields.ts';

export interface HostMetricRow {
  time: Date;
  hostId: string;
  /** CPU shares over the interval since the previous sample; null without one. */
  cpuUserPct: number | null;
  cpuSystemPct: number | null;
  cpuIowaitPct: number | null;
  cpuStealPct: number | null;
  cpuIdlePct: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  memUsedBytes: number | null;
  swapTotalBytes: number | null;
  swapUsedBytes: number | null;
  procsRunning: number | null;
  procsTotal: number | null;
  uptimeSeconds: number | null;
}

export interface FsMetricRow {
  time: Date;
  hostId: string;
  mount: string;
  device: string;
  fstype: string;
  sizeBytes: number;
  usedBytes: number;
  availBytes: number;
  inodesTotal: number | null;
  inodesUsed: number | null;
}

export interface NetMetricRow {
  time: Date;
  hostId: string;
  iface: string;
  rxBytesPerSec: number;
  txBytesPerSec: number;
  rxPacketsPerSec: number;
  txPacketsPerSec: number;
  rxErrorsPerSec: number;
  txErrorsPerSec: number;
}

export interface DiskMetricRow {
  time: Date;
  hostId: string;
  device: string;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  readIops: number;
  writeIops: number;
  utilPct: number;
}

/** One sample's rows, or a batch of many samples' rows. */
export interface MetricRows {
  host: HostMetricRow[];
  fs: FsMetricRow[];
  net: NetMetricRow[];
  disk: DiskMetricRow[];
}

/**
 * The rows of one sample taken at `at`. Rates need the previous sample of the same host: with
 * none, or across a counter reset (reboot, recreated interface), the host row's CPU shares
 * are null and there is no interface or disk row — never a negative or absurd rate.
 */
export function toMetricRows(
  hostId: string,
  at: Date,
  previous: Sample | undefined,
  current: RawMetrics,
): MetricRows {
  const rates = computeRates(previous, { at, metrics: current });
  const rows: MetricRows = { host: [], fs: [], net: [], disk: [] };
  const { load, memory, processes, uptimeSeconds } = current;
  if (rates.cpu || load || memory || processes || uptimeSeconds !== undefined) {
    rows.host.push({
      time: at,
      hostId,
      cpuUserPct: rates.cpu?.userPct ?? null,
      cpuSystemPct: rates.cpu?.systemPct ?? null,
      cpuIowaitPct: rates.cpu?.iowaitPct ?? null,
      cpuStealPct: rates.cpu?.stealPct ?? null,
      cpuIdlePct: rates.cpu?.idlePct ?? null,
      load1: load?.load1 ?? null,
      load5: load?.load5 ?? null,
      load15: load?.load15 ?? null,
      memTotalBytes: memory?.totalBytes ?? null,
      memAvailableBytes: memory?.availableBytes ?? null,
      memUsedBytes: memory?.usedBytes ?? null,
      swapTotalBytes: memory?.swapTotalBytes ?? null,
      swapUsedBytes: memory?.swapUsedBytes ?? null,
      procsRunning: processes?.running ?? null,
      procsTotal: processes?.total ?? null,
      uptimeSeconds: uptimeSeconds ?? null,
    });
  }
  for (const fs of current.filesystems ?? []) {
    rows.fs.push({ time: at, hostId, ...fs });
  }
  for (const n of rates.interfaces) {
    rows.net.push({
      time: at,
      hostId,
      iface: n.name,
      rxBytesPerSec: n.rxBytesPerSec,
      txBytesPerSec: n.txBytesPerSec,
      rxPacketsPerSec: n.rxPacketsPerSec,
      txPacketsPerSec: n.txPacketsPerSec,
      rxErrorsPerSec: n.rxErrorsPerSec,
      txErrorsPerSec: n.txErrorsPerSec,
    });
  }
  for (const d of rates.disks) {
    rows.disk.push({
      time: at,
      hostId,
      device: d.name,
      readBytesPerSec: d.readBytesPerSec,
      writeBytesPerSec: d.writeBytesPerSec,
      readIops: d.readIops,
      writeIops: d.writeIops,
      utilPct: d.utilPct,
    });
  }
  return rows;
}

export interface MetricCounts {
  host: number;
  fs: number;
  net: number;
  disk: number;
}

/**
 * Some or all tables of a batch could not be written. `unwritten` holds exactly the rows still
 * to write, sample by sample (retrying the whole batch would store the written tables' rows
 * twice); `written` counts what was stored.
 */
export class MetricsWriteError extends Error {
  override readonly name = 'MetricsWriteError';
  constructor(
    message: string,
    readonly written: MetricCounts,
    readonly unwritten: MetricRows[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type RowOf<S extends MetricSeries> = MetricRows[S][number];

interface TableCopy<S extends MetricSeries> {
  table: string;
  columns: readonly string[];
  /** Upper bound of a row's bytes, text fields aside. */
  rowBytes: number;
  /** Writes one row's fields in `columns` order (the row header is written for it). */
  encode(e: BinaryCopyEncoder, r: RowOf<S>): void;
}

// Column lists come from metric-fields.ts (one list for inserts, ranges and rollups); each
// encoder writes the same fields in the same order, with the column's type.
const copies: { [S in MetricSeries]: TableCopy<S> } = {
  host: {
    table: 'host_metrics',
    columns: ['time', 'host_id', ...Object.values(metricFields.host)],
    rowBytes: 2 + 12 + 20 + 8 * 8 + 5 * 12 + 2 * 8 + 12,
    encode(e, r) {
      e.timestamptz(r.time);
      e.uuid(r.hostId);
      e.float4(r.cpuUserPct);
      e.float4(r.cpuSystemPct);
      e.float4(r.cpuIowaitPct);
      e.float4(r.cpuStealPct);
      e.float4(r.cpuIdlePct);
      e.float4(r.load1);
      e.float4(r.load5);
      e.float4(r.load15);
      e.int8(r.memTotalBytes);
      e.int8(r.memAvailableBytes);
      e.int8(r.memUsedBytes);
      e.int8(r.swapTotalBytes);
      e.int8(r.swapUsedBytes);
      e.int4(r.procsRunning);
      e.int4(r.procsTotal);
      e.float8(r.uptimeSeconds);
    },
  },
  fs: {
    table: 'fs_metrics',
    columns: ['time', 'host_id', 'mount', 'device', 'fstype', ...Object.values(metricFields.fs)],
    rowBytes: 2 + 12 + 20 + 5 * 12,
    encode(e, r) {
      e.timestamptz(r.time);
      e.uuid(r.hostId);
      e.text(r.mount);
      e.text(r.device);
      e.text(r.fstype);
      e.int8(r.sizeBytes);
      e.int8(r.usedBytes);
      e.int8(r.availBytes);
      e.int8(r.inodesTotal);
      e.int8(r.inodesUsed);
    },
  },
  net: {
    table: 'net_metrics',
    columns: ['time', 'host_id', 'iface', ...Object.values(metricFields.net)],
    rowBytes: 2 + 12 + 20 + 6 * 8,
    encode(e, r) {
      e.timestamptz(r.time);
      e.uuid(r.hostId);
      e.text(r.iface);
      e.float4(r.rxBytesPerSec);
      e.float4(r.txBytesPerSec);
      e.float4(r.rxPacketsPerSec);
      e.float4(r.txPacketsPerSec);
      e.float4(r.rxErrorsPerSec);
      e.float4(r.txErrorsPerSec);
    },
  },
  disk: {
    table: 'disk_metrics',
    columns: ['time', 'host_id', 'device', ...Object.values(metricFields.disk)],
    rowBytes: 2 + 12 + 20 + 5 * 8,
    encode(e, r) {
      e.timestamptz(r.time);
      e.uuid(r.hostId);
      e.text(r.device);
      e.float4(r.readBytesPerSec);
      e.float4(r.writeBytesPerSec);
      e.float4(r.readIops);
      e.float4(r.writeIops);
      e.float4(r.utilPct);
    },
  },
};

function encodeSeries<S extends MetricSeries>(
  series: S,
  batch: readonly MetricRows[],
  rows: number,
  uuids: Map<string, Buffer>,
): Buffer {
  const copy = copies[series] as TableCopy<S>;
  const e = new BinaryCopyEncoder({ initialBytes: 64 + rows * (copy.rowBytes + 16), uuids });
  for (const sample of batch) {
    for (const r of sample[series] as RowOf<S>[]) {
      e.row(copy.columns.length, copy.rowBytes);
      copy.encode(e, r);
    }
  }
  return e.finish();
}

/**
 * Writes a batch of samples (typically many hosts'): one binary COPY per table, the four
 * running at once on separate connections so the server works on them in parallel. Each
 * table's COPY is atomic; if some fail, MetricsWriteError says which rows are still unwritten.
 */
export async function insertMetrics(
  sql: Sql,
  batch: MetricRows | readonly MetricRows[],
): Promise<MetricCounts> {
  const all = Array.isArray(batch) ? (batch as readonly MetricRows[]) : [batch as MetricRows];
  const counts: MetricCounts = { host: 0, fs: 0, net: 0, disk: 0 };
  for (const sample of all) {
    counts.host += sample.host.length;
    counts.fs += sample.fs.length;
    counts.net += sample.net.length;
    counts.disk += sample.disk.length;
  }
  const series = metricSeries.filter((s) => counts[s] > 0);
  const uuids = new Map<string, Buffer>();
  // Each table is encoded when its COPY is ready, so the server stores one table while the
  // next is being encoded.
  const results = await Promise.allSettled(
    series.map((s) =>
      copyBinary(sql, copies[s].table, copies[s].columns, () =>
        encodeSeries(s, all, counts[s], uuids),
      ),
    ),
  );
  const failed = series.filter((_, i) => results[i]?.status === 'rejected');
  if (failed.length === 0) return counts;

  const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  const cause = reasons[0];
  const written = { ...counts };
  for (const s of failed) written[s] = 0;
  const keep = <S extends MetricSeries>(sample: MetricRows, s: S) =>
    (failed.includes(s) ? sample[s] : []) as MetricRows[S];
  const unwritten = all
    .map((r) => ({
      host: keep(r, 'host'),
      fs: keep(r, 'fs'),
      net: keep(r, 'net'),
      disk: keep(r, 'disk'),
    }))
    .filter((r) => r.host.length + r.fs.length + r.net.length + r.disk.length > 0);
  const message = cause instanceof Error ? cause.message : String(cause);
  throw new MetricsWriteError(
    `metrics not written to ${failed.join(', ')}: ${message}`,
    written,
    unwritten,
    { cause },
  );
}
