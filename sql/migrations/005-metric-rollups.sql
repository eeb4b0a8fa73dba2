-- Hourly rollups (average and maximum per hour) of the host-level and per-filesystem metrics,
-- kept far longer than the raw samples. Computed by sql/rollups.ts, which upserts the hours
-- it (re)computes, so running it twice over the same hours changes nothing.
-- `samples` is the number of raw rows in the hour: coarser buckets weight hourly averages
-- by it. Hypertables with 30-day chunks under TimescaleDB (retention drops chunks).

create table host_metrics_hourly (
  bucket timestamptz not null,
  host_id uuid not null,
  samples integer not null check (samples > 0),
  cpu_user_pct_avg double precision,
  cpu_user_pct_max double precision,
  cpu_system_pct_avg double precision,
  cpu_system_pct_max double precision,
  cpu_iowait_pct_avg double precision,
  cpu_iowait_pct_max double precision,
  cpu_steal_pct_avg double precision,
  cpu_steal_pct_max double precision,
  cpu_idle_pct_avg double precision,
  cpu_idle_pct_max double precision,
  load1_avg double precision,
  load1_max double precision,
  load5_avg double precision,
  load5_max double precision,
  load15_avg double precision,
  load15_max double precision,
  mem_total_bytes_avg double precision,
  mem_total_bytes_max double precision,
  mem_available_bytes_avg double precision,
  mem_available_bytes_max double precision,
  mem_used_bytes_avg double precision,
  mem_used_bytes_max double precision,
  swap_total_bytes_avg double precision,
  swap_total_bytes_max double precision,
  swap_used_bytes_avg double precision,
  swap_used_bytes_max double precision,
  procs_running_avg double precision,
  procs_running_max double precision,
  procs_total_avg double precision,
  procs_total_max double precision,
  uptime_s_avg double precision,
  uptime_s_max double precision,
  primary key (host_id, bucket)
);

create table fs_metrics_hourly (
  bucket timestamptz not null,
  host_id uuid not null,
  mount text not null,
  samples integer not null check (samples > 0),
  size_bytes_avg double precision,
  size_bytes_max double precision,
  used_bytes_avg double precision,
  used_bytes_max double precision,
  avail_bytes_avg double precision,
  avail_bytes_max double precision,
  inodes_total_avg double precision,
  inodes_total_max double precision,
  inodes_used_avg double precision,
  inodes_used_max double precision,
  primary key (host_id, mount, bucket)
);

create index host_metrics_hourly_bucket on host_metrics_hourly (bucket);
create index fs_metrics_hourly_bucket on fs_metrics_hourly (bucket);

-- How far each rollup table has been computed: range queries read rollups before this
-- instant and raw rows after it.
create table metric_rollup_watermarks (
  rollup text primary key check (rollup in ('host_metrics_hourly', 'fs_metrics_hourly')),
  rolled_until timestamptz not null
);

do $$
declare
  t text;
begin
  if exists (select from pg_extension where extname = 'timescaledb') then
    foreach t in array array['host_metrics_hourly', 'fs_metrics_hourly'] loop
      perform create_hypertable(t::regclass, by_range('bucket', interval '30 days'),
        create_default_indexes => false);
    end loop;
  end if;
end
$$;
