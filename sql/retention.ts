// Retention: how long each kind of data is kept, and the function the retention actor calls
// periodically to enforce it. Hypertables (TimescaleDB) lose whole chunks with drop_chunks,
// which every edition has (the Apache-2 one refuses add_retention_policy); plain tables (no
// TimescaleDB, e.g. the embedded database) lose rows with batched DELETEs. drop_chunks only
// drops chunks entirely older than the cutoff, so up to one chunk interval (a day for raw
// metrics and probes, 30 days for rollups) more is kept.
//
// Current facts are never deleted, whatever their age: only closed versions (valid_to set) and
// change-feed entries older than the fact-history cutoff go. As-of queries before that
// cutoff therefore see an incomplete past.
//
// To change the defaults, pass settings (the actor takes them from the configuration), e.g.
// enforceRetention(sql, { rawMetricsDays: 14 }).
import type { Sql } from './client.ts';

export const RETENTION_DEFAULTS = {
  /** host_metrics, fs_metrics, net_metrics, disk_metrics. */
  rawMetricsDays: 30,
  /** host_metrics_hourly, fs_metrics_hourly. */
  rollupDays: 400,
  /** Closed fact versions (host_facts) and change-feed entries (host_fact_changes). */
  factHistoryDays: 400,
  /** intel_probes. */
  probeLogDays: 30,
} as const;

export type RetentionSettings = { [K in keyof typeof RETENTION_DEFAULTS]: number };

export interface RetentionStep {
  table: string;
  method: 'drop_chunks' | 'delete';
  cutoff: Date;
  /** Chunks dropped (drop_chunks) or rows deleted (delete). */
  removed: number;
}

export interface RetentionOptions {
  now?: Date;
  /** Rows per DELETE on plain tables (default 10,000): short transactions, short locks. */
  batchSize?: number;
}

type Target = {
  table: string;
  column: string;
  setting: keyof RetentionSettings;
  /** Extra condition: only closed fact versions. */
  closedOnly?: boolean;
};

const TARGETS: readonly Target[] = [
  { table: 'host_metrics', column: 'time', setting: 'rawMetricsDays' },
  { table: 'fs_metrics', column: 'time', setting: 'rawMetricsDays' },
  { table: 'net_metrics', column: 'time', setting: 'rawMetricsDays' },
  { table: 'disk_metrics', column: 'time', setting: 'rawMetricsDays' },
  { table: 'host_metrics_hourly', column: 'bucket', setting: 'rollupDays' },
  { table: 'fs_metrics_hourly', column: 'bucket', setting: 'rollupDays' },
  { table: 'intel_probes', column: 'started_at', setting: 'probeLogDays' },
  { table: 'host_fact_changes', column: 'at', setting: 'factHistoryDays' },
  { table: 'host_facts', column: 'valid_to', setting: 'factHistoryDays', closedOnly: true },
];

const DAY_MS = 86_400_000;

export async function enforceRetention(
  sql: Sql,
  settings: Partial<RetentionSettings> = {},
  options: RetentionOptions = {},
): Promise<RetentionStep[]> {
  const days: RetentionSettings = { ...RETENTION_DEFAULTS, ...settings };
  for (const [name, value] of Object.entries(days)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`retention ${name} must be a positive number of days`);
    }
  }
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 10_000;
  const hypertables = await hypertableNames(sql);
  const steps: RetentionStep[] = [];
  for (const target of TARGETS) {
    const cutoff = new Date(now.getTime() - days[target.setting] * DAY_MS);
    if (hypertables.has(target.table)) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n
        from drop_chunks(${target.table}::regclass, older_than => ${cutoff}::timestamptz)`;
      steps.push({ table: target.table, method: 'drop_chunks', cutoff, removed: row?.n ?? 0 });
    } else {
      const removed = await deleteOlder(sql, target, cutoff, batchSize);
      steps.push({ table: target.table, method: 'delete', cutoff, removed });
    }
  }
  return steps;
}

async function deleteOlder(sql: Sql, target: Target, cutoff: Date, batchSize: number) {
  let removed = 0;
  for (;;) {
    const result = await sql`
      delete from ${sql(target.table)}
      where ctid = any(array(
        select ctid from ${sql(target.table)}
        where ${sql(target.column)} < ${cutoff}
          ${target.closedOnly ? sql`and valid_to is not null` : sql``}
        limit ${batchSize}))`;
    removed += result.count;
    if (result.count < batchSize) return removed;
  }
}

async function hypertableNames(sql: Sql): Promise<Set<string>> {
  const [ext] = await sql<{ present: boolean }[]>`
    select exists (select from pg_extension where extname = 'timescaledb') as present`;
  if (!ext?.present) return new Set();
  const rows = await sql<{ name: string }[]>`
    select hypertable_name as name from timescaledb_information.hypertables
    where hypertable_schema = current_schema()`;
  return new Set(rows.map((r) => r.name));
}
