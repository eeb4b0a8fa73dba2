// One host's metrics over a time range, in buckets of `stepSeconds` (average and maximum per
// bucket and per filesystem / interface / device). Buckets come from metric_bucket
// (time_bucket with TimescaleDB, date_bin without; migration 004) and are aligned on it: the
// first bucket is the one holding `from`, whole.
//
// Sources: 'raw' reads the samples; 'hourly' (host and fs only, steps of whole hours) reads
// the hourly rollups up to their watermark and the samples after it, so the hours not rolled
// up yet are there too. 'auto' takes 'hourly' where it can, which is what keeps long ranges
// cheap and what still answers after the raw samples' retention.
import type { Sql } from './client.ts';
import {
  fieldColumns,
  type MetricField,
  type MetricSeries,
  metricTables,
} from './metric-fields.ts';

export const MAX_RANGE_POINTS = 10_000;

export interface MetricsRangeQuery<S extends MetricSeries = MetricSeries> {
  series: S;
  from: Date;
  to: Date;
  stepSeconds: number;
  source?: 'auto' | 'raw' | 'hourly';
}

export interface MetricPoint<S extends MetricSeries = MetricSeries> {
  /** Start of the bucket. */
  time: Date;
  /** The mount point, interface or device; null for host-level metrics. */
  label: string | null;
  /** Raw samples the bucket summarises. */
  samples: number;
  avg: Record<MetricField<S>, number | null>;
  max: Record<MetricField<S>, number | null>;
}

export interface MetricsRange<S extends MetricSeries = MetricSeries> {
  series: S;
  stepSeconds: number;
  source: 'raw' | 'hourly';
  points: MetricPoint<S>[];
}

export async function metricsRange<S extends MetricSeries>(
  sql: Sql,
  hostId: string,
  query: MetricsRangeQuery<S>,
): Promise<MetricsRange<S>> {
  const { series, from, to, stepSeconds } = query;
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1) {
    throw new RangeError('stepSeconds must be a positive integer');
  }
  if (!(to.getTime() > from.getTime())) throw new RangeError('`to` must be after `from`');
  if ((to.getTime() - from.getTime()) / 1000 / stepSeconds > MAX_RANGE_POINTS) {
    throw new RangeError(`more than ${MAX_RANGE_POINTS} buckets: use a larger step`);
  }
  const { table, label, hourly } = metricTables[series];
  const rollable = hourly !== null && stepSeconds % 3600 === 0;
  const requested = query.source ?? 'auto';
  if (requested === 'hourly' && !rollable) {
    throw new RangeError(`no hourly rollups for ${series} metrics at a ${stepSeconds} s step`);
  }
  const source = requested === 'raw' || !rollable ? 'raw' : 'hourly';
  const fields = fieldColumns(series);
  const step = sql`make_interval(secs => ${stepSeconds})`;
  const labelColumn = label === null ? sql`null::text` : sql`${sql(label)}`;

  const rows =
    source === 'raw' || hourly === null
      ? await sql<Record<string, unknown>[]>`
          select metric_bucket(${step}, time) as time, ${labelColumn} as label,
            count(*)::int as samples
            ${fields.map(
              ([, c]) =>
                sql`, avg(${sql(c)})::float8 as ${sql(`${c}_avg`)},
                    max(${sql(c)})::float8 as ${sql(`${c}_max`)}`,
            )}
          from ${sql(table)}
          where host_id = ${hostId}
            and time >= metric_bucket(${step}, ${from}::timestamptz) and time < ${to}
          group by 1, 2
          order by 1, 2`
      : await sql<Record<string, unknown>[]>`
          with watermark as (
            select coalesce(max(rolled_until), '-infinity'::timestamptz) as t
            from metric_rollup_watermarks where rollup = ${hourly}
          ),
          parts as (
            select bucket, ${labelColumn} as label, samples
              ${fields.map(([, c]) => sql`, ${sql(`${c}_avg`)}, ${sql(`${c}_max`)}`)}
            from ${sql(hourly)}
            where host_id = ${hostId}
              and bucket >= metric_bucket(${step}, ${from}::timestamptz) and bucket < ${to}
              and bucket < (select t from watermark)
            union all
            select metric_bucket(interval '1 hour', time), ${labelColumn}, count(*)::int
              ${fields.map(([, c]) => sql`, avg(${sql(c)})::float8, max(${sql(c)})::float8`)}
            from ${sql(table)}
            where host_id = ${hostId}
              and time >= greatest(metric_bucket(${step}, ${from}::timestamptz),
                                   (select t from watermark))
              and time < ${to}
            group by 1, 2
          )
          select metric_bucket(${step}, bucket) as time, label, sum(samples)::int as samples
            ${fields.map(
              ([, c]) =>
                sql`, sum(${sql(`${c}_avg`)} * samples)
                      / nullif(sum(samples) filter (where ${sql(`${c}_avg`)} is not null), 0)
                      as ${sql(`${c}_avg`)},
                    max(${sql(`${c}_max`)}) as ${sql(`${c}_max`)}`,
            )}
          from parts
          group by 1, 2
          order by 1, 2`;

  const points = rows.map((r) => {
    const avg = {} as Record<MetricField<S>, number | null>;
    const max = {} as Record<MetricField<S>, number | null>;
    for (const [field, c] of fields) {
      avg[field] = numberOrNull(r[`${c}_avg`]);
      max[field] = numberOrNull(r[`${c}_max`]);
    }
    return {
      time: r.time as Date,
      label: (r.label as string | null) ?? null,
      samples: Number(r.samples),
      avg,
      max,
    };
  });
  return { series, stepSeconds, source, points };
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
