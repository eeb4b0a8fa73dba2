-- Metrics: snapshots in a few wide tables (host level, per filesystem, per network interface,
-- per block device) rather than one row per number. Counters arrive here already turned into
-- rates; a rate that could not be computed (first sample, counter reset) is null, or for the
-- per-interface and per-device tables, no row at all.
--
-- With TimescaleDB these are hypertables with one-day chunks, so retention drops whole
-- chunks; without it they are plain tables and retention deletes rows. No foreign key to
-- hosts: a check per ingested row costs throughput, and a deleted host's metrics simply
-- age out with retention.
--
-- real (6–7 significant digits) holds percentages, loads and rates well; byte sizes and
-- counts are bigint, uptime double precision (real would lose seconds after ~190 days).

create table host_metrics (
  time timestamptz not null,
  host_id uuid not null,
  cpu_user_pct real,
  cpu_system_pct real,
  cpu_iowait_pct real,
  cpu_steal_pct real,
  cpu_idle_pct real,
  load1 real,
  load5 real,
  load15 real,
  mem_total_bytes bigint,
  mem_available_bytes bigint,
  mem_used_bytes bigint,
  swap_total_bytes bigint,
  swap_used_bytes bigint,
  procs_running integer,
  procs_total integer,
  uptime_s double precision
);

create table fs_metrics (
  time timestamptz not null,
  host_id uuid not null,
  mount text not null,
  device text not null,
  fstype text not null,
  size_bytes bigint,
  used_bytes bigint,
  avail_bytes bigint,
  inodes_total bigint,
  inodes_used bigint
);

create table net_metrics (
  time timestamptz not null,
  host_id uuid not null,
  iface text not null,
  rx_bytes_per_s real,
  tx_bytes_per_s real,
  rx_packets_per_s real,
  tx_packets_per_s real,
  rx_errors_per_s real,
  tx_errors_per_s real
);

create table disk_metrics (
  time timestamptz not null,
  host_id uuid not null,
  device text not null,
  read_bytes_per_s real,
  write_bytes_per_s real,
  read_iops real,
  write_iops real,
  util_pct real
);

-- One host's series over a range; the time index serves retention on plain tables.
create index host_metrics_host on host_metrics (host_id, time);
create index host_metrics_time on host_metrics (time);
create index fs_metrics_host on fs_metrics (host_id, time);
create index fs_metrics_time on fs_metrics (time);
create index net_metrics_host on net_metrics (host_id, time);
create index net_metrics_time on net_metrics (time);
create index disk_metrics_host on disk_metrics (host_id, time);
create index disk_metrics_time on disk_metrics (time);

do $$
declare
  t text;
begin
  if exists (select from pg_extension where extname = 'timescaledb') then
    foreach t in array array['host_metrics', 'fs_metrics', 'net_metrics', 'disk_metrics'] loop
      perform create_hypertable(t::regclass, by_range('time', interval '1 day'),
        create_default_indexes => false);
    end loop;
  end if;
end
$$;

-- The bucket of a timestamp: time_bucket with TimescaleDB, date_bin without, both aligned
-- on time_bucket's default origin (Monday 2000-01-03 UTC) so buckets agree either way. An
-- SQL function of one expression is inlined, so the planner sees time_bucket itself.
do $$
begin
  if exists (select from pg_extension where extname = 'timescaledb') then
    create function metric_bucket(step interval, ts timestamptz) returns timestamptz
      language sql immutable parallel safe
      return time_bucket(step, ts);
  else
    create function metric_bucket(step interval, ts timestamptz) returns timestamptz
      language sql immutable parallel safe
      return date_bin(step, ts, timestamptz '2000-01-03 00:00:00+00');
  end if;
end
$$;
