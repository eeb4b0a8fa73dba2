// Hourly rollups (average and maximum) of the host-level and per-filesystem metrics. Each run
// (re)computes whole hours and upserts them, so it is idempotent: running it twice, or over
// hours already rolled up, leaves the same rows. It starts a little before the watermark
// (`lookbackHours`) to take in samples that arrived late, and works a day per transaction so
// a first run over weeks of samples neither holds one huge transaction nor loses progress.
// Averages are summed as numeric: exact, so recomputing an hour gives the very same value
// whatever order the rows arrive in. The retention actor calls it periodically (actors/).
import type { Sql, TransactionSql } from './client.ts';
import { fieldColumns } from './metric-fields.ts';

export interface RollupOptions {
  /** Roll up the complete hours before this instant (default: now). */
  until?: Date;
  /** Start here instead of at the watermark minus the lookback (e.g. to rebuild). */
  since?: Date;
  /** Hours before the watermark recomputed for late samples (default 2). */
  lookbackHours?: number;
}

export interface RollupReport {
  rollup: 'host_metrics_hourly' | 'fs_metrics_hourly';
  /** The hours recomputed: [from, until); from is null when there was nothing to roll up. */
  from: Date | null;
  until: Date;
  /** Hourly rows written (inserted or updated). */
  rows: number;
}

const HOUR_MS = 3_600_000;
const WINDOW_MS = 24 * HOUR_MS;

export async function rollupMetrics(
  sql: Sql,
  options: RollupOptions = {},
): Promise<RollupReport[]> {
  const until = new Date(Math.floor((options.until ?? new Date()).getTime() / HOUR_MS) * HOUR_MS);
  return [
    await rollup(sql, 'host_metrics_hourly', until, options),
    await rollup(sql, 'fs_metrics_hourly', until, options),
  ];
}

async function rollup(
  sql: Sql,
  name: RollupReport['rollup'],
  until: Date,
  options: RollupOptions,
): Promise<RollupReport> {
  const start = await startOf(sql, name, options);
  if (start === null || start >= until.getTime())
    return { rollup: name, from: null, until, rows: 0 };
  let rows = 0;
  for (let a = start; a < until.getTime(); a += WINDOW_MS) {
    const b = new Date(Math.min(a + WINDOW_MS, until.getTime()));
    rows += await sql.begin(async (tx) => {
      const written =
        name === 'host_metrics_hourly'
          ? await rollHost(tx, new Date(a), b)
          : await rollFs(tx, new Date(a), b);
      await tx`
        insert into metric_rollup_watermarks (rollup, rolled_until) values (${name}, ${b})
        on conflict (rollup) do update
          set rolled_until = greatest(metric_rollup_watermarks.rolled_until,
                                      excluded.rolled_until)`;
      return written;
    });
  }
  return { rollup: name, from: new Date(start), until, rows };
}

/** Where a run starts, floored to the hour; null when there is no sample at all. */
async function startOf(sql: Sql, name: RollupReport['rollup'], options: RollupOptions) {
  const floor = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
  if (options.since) return floor(options.since.getTime());
  const [mark] = await sql<{ t: Date }[]>`
    select rolled_until as t from metric_rollup_watermarks where rollup = ${name}`;
  if (mark) return floor(mark.t.getTime()) - (options.lookbackHours ?? 2) * HOUR_MS;
  const [first] =
    name === 'host_metrics_hourly'
      ? await sql<{ t: Date | null }[]>`select min(time) as t from host_metrics`
      : await sql<{ t: Date | null }[]>`select min(time) as t from fs_metrics`;
  return first?.t ? floor(first.t.getTime()) : null;
}

async function rollHost(sql: TransactionSql, from: Date, to: Date): Promise<number> {
  const fields = fieldColumns('host');
  const rows = await sql`
    insert into host_metrics_hourly (bucket, host_id, samples
      ${fields.map(([, c]) => sql`, ${sql(`${c}_avg`)}, ${sql(`${c}_max`)}`)})
    select metric_bucket(interval '1 hour', time), host_id, count(*)
      ${fields.map(([, c]) => sql`, avg(${sql(c)}::numeric)::float8, max(${sql(c)})::float8`)}
    from host_metrics
    where time >= ${from} and time < ${to}
    group by 1, 2
    on conflict (host_id, bucket) do update set samples = excluded.samples
      ${fields.map(
        ([, c]) =>
          sql`, ${sql(`${c}_avg`)} = excluded.${sql(`${c}_avg`)},
                ${sql(`${c}_max`)} = excluded.${sql(`${c}_max`)}`,
      )}`;
  return rows.count;
}

async function rollFs(sql: TransactionSql, from: Date, to: Date): Promise<number> {
  const fields = fieldColumns('fs');
  const rows = await sql`
    insert into fs_metrics_hourly (bucket, host_id, mount, samples
      ${fields.map(([, c]) => sql`, ${sql(`${c}_avg`)}, ${sql(`${c}_max`)}`)})
    select metric_bucket(interval '1 hour', time), host_id, mount, count(*)
      ${fields.map(([, c]) => sql`, avg(${sql(c)}::numeric)::float8, max(${sql(c)})::float8`)}
    from fs_metrics
    where time >= ${from} and time < ${to}
    group by 1, 2, 3
    on conflict (host_id, mount, bucket) do update set samples = excluded.samples
      ${fields.map(
        ([, c]) =>
          sql`, ${sql(`${c}_avg`)} = excluded.${sql(`${c}_avg`)},
                ${sql(`${c}_max`)} = excluded.${sql(`${c}_max`)}`,
      )}`;
  return rows.count;
}
