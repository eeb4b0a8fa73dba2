// The baseline of bench:storage's metrics ingest: how sql/metrics.ts wrote a batch before it
// used binary COPY — one INSERT … SELECT FROM unnest(…) per table, the four in one
// transaction, columns sent as array literals built in JavaScript. Kept here, unchanged, so
// the bench compares against it in the same run.
import type { Sql } from '../../sql/client.ts';
import type { MetricCounts, MetricRows } from '../../sql/metrics.ts';

export async function insertMetricsUnnest(
  sql: Sql,
  batch: MetricRows | readonly MetricRows[],
): Promise<MetricCounts> {
  const all = Array.isArray(batch) ? (batch as readonly MetricRows[]) : [batch as MetricRows];
  const host = all.flatMap((r) => r.host);
  const fs = all.flatMap((r) => r.fs);
  const net = all.flatMap((r) => r.net);
  const disk = all.flatMap((r) => r.disk);
  // Columns travel as array literals built here: postgres.js would quote and escape every
  // element of a JS array, which costs more than the INSERT itself at 14,000 rows a batch.
  // Numbers through JSON.stringify, V8's fastest way to print doubles: "[1.5,null]" is an
  // array literal once its brackets are braces (array_in takes null in any case).
  const col = <R>(rows: readonly R[], pick: (r: R) => number | null) =>
    `{${JSON.stringify(rows.map(pick)).slice(1, -1)}}`;
  const txt = <R>(rows: readonly R[], pick: (r: R) => string) =>
    literal(rows, (r) => `"${pick(r).replace(/[\\"]/g, '\\$&')}"`);
  // ISO timestamps and UUIDs hold no character JSON would escape, so JSON's quoted strings
  // are the literal's. A sample's rows share its Date: each is formatted once.
  const iso = new Map<Date, string>();
  const isoOf = (time: Date) => {
    const known = iso.get(time);
    if (known !== undefined) return known;
    const text = time.toISOString();
    iso.set(time, text);
    return text;
  };
  const times = (rows: readonly { time: Date }[]) =>
    `{${JSON.stringify(rows.map((r) => isoOf(r.time))).slice(1, -1)}}`;
  const hosts = (rows: readonly { hostId: string }[]) =>
    `{${JSON.stringify(rows.map((r) => r.hostId)).slice(1, -1)}}`;
  await sql.begin((tx) => [
    host.length === 0
      ? tx`select`
      : tx`
        insert into host_metrics (time, host_id, cpu_user_pct, cpu_system_pct, cpu_iowait_pct,
          cpu_steal_pct, cpu_idle_pct, load1, load5, load15, mem_total_bytes,
          mem_available_bytes, mem_used_bytes, swap_total_bytes, swap_used_bytes,
          procs_running, procs_total, uptime_s)
        select * from unnest(
          ${times(host)}::timestamptz[], ${hosts(host)}::uuid[],
          ${col(host, (r) => r.cpuUserPct)}::real[], ${col(host, (r) => r.cpuSystemPct)}::real[],
          ${col(host, (r) => r.cpuIowaitPct)}::real[], ${col(host, (r) => r.cpuStealPct)}::real[],
          ${col(host, (r) => r.cpuIdlePct)}::real[], ${col(host, (r) => r.load1)}::real[],
          ${col(host, (r) => r.load5)}::real[], ${col(host, (r) => r.load15)}::real[],
          ${col(host, (r) => r.memTotalBytes)}::bigint[],
          ${col(host, (r) => r.memAvailableBytes)}::bigint[],
          ${col(host, (r) => r.memUsedBytes)}::bigint[],
          ${col(host, (r) => r.swapTotalBytes)}::bigint[],
          ${col(host, (r) => r.swapUsedBytes)}::bigint[],
          ${col(host, (r) => r.procsRunning)}::int[], ${col(host, (r) => r.procsTotal)}::int[],
          ${col(host, (r) => r.uptimeSeconds)}::float8[])`,
    fs.length === 0
      ? tx`select`
      : tx`
        insert into fs_metrics (time, host_id, mount, device, fstype, size_bytes, used_bytes,
          avail_bytes, inodes_total, inodes_used)
        select * from unnest(
          ${times(fs)}::timestamptz[], ${hosts(fs)}::uuid[], ${txt(fs, (r) => r.mount)}::text[],
          ${txt(fs, (r) => r.device)}::text[], ${txt(fs, (r) => r.fstype)}::text[],
          ${col(fs, (r) => r.sizeBytes)}::bigint[], ${col(fs, (r) => r.usedBytes)}::bigint[],
          ${col(fs, (r) => r.availBytes)}::bigint[], ${col(fs, (r) => r.inodesTotal)}::bigint[],
          ${col(fs, (r) => r.inodesUsed)}::bigint[])`,
    net.length === 0
      ? tx`select`
      : tx`
        insert into net_metrics (time, host_id, iface, rx_bytes_per_s, tx_bytes_per_s,
          rx_packets_per_s, tx_packets_per_s, rx_errors_per_s, tx_errors_per_s)
        select * from unnest(
          ${times(net)}::timestamptz[], ${hosts(net)}::uuid[], ${txt(net, (r) => r.iface)}::text[],
          ${col(net, (r) => r.rxBytesPerSec)}::real[], ${col(net, (r) => r.txBytesPerSec)}::real[],
          ${col(net, (r) => r.rxPacketsPerSec)}::real[],
          ${col(net, (r) => r.txPacketsPerSec)}::real[],
          ${col(net, (r) => r.rxErrorsPerSec)}::real[],
          ${col(net, (r) => r.txErrorsPerSec)}::real[])`,
    disk.length === 0
      ? tx`select`
      : tx`
        insert into disk_metrics (time, host_id, device, read_bytes_per_s, write_bytes_per_s,
          read_iops, write_iops, util_pct)
        select * from unnest(
          ${times(disk)}::timestamptz[], ${hosts(disk)}::uuid[],
          ${txt(disk, (r) => r.device)}::text[], ${col(disk, (r) => r.readBytesPerSec)}::real[],
          ${col(disk, (r) => r.writeBytesPerSec)}::real[], ${col(disk, (r) => r.readIops)}::real[],
          ${col(disk, (r) => r.writeIops)}::real[], ${col(disk, (r) => r.utilPct)}::real[])`,
  ]);
  return { host: host.length, fs: fs.length, net: net.length, disk: disk.length };
}

/** A PostgreSQL array literal of already formatted elements. */
function literal<R>(rows: readonly R[], element: (r: R) => string): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ',';
    out += element(rows[i] as R);
  }
  return `${out}}`;
}
