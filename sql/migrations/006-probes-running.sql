-- Running probes move to a small plain table of their own. Completing a probe is then an
-- INSERT into the intel_probes hypertable, routed to its newest chunk, instead of an UPDATE by
-- id that TimescaleDB plans over every chunk (measured with 31 one-day chunks: 2.5 ms a
-- probe, 1.5 ms with a time window, against a fraction of a millisecond for the insert).
-- intel_probes keeps finished probes only; sql/probes.ts lists both tables together.

-- The partial index of running rows on intel_probes (002) is always empty from now on, and
-- its name is the new table's.
drop index intel_probes_running;

create table intel_probes_running (
  id uuid primary key,
  host_id uuid not null references hosts (id) on delete cascade,
  type text not null check (type in ('facts', 'metrics')),
  reason text check (reason in ('scheduled', 'manual')),
  started_at timestamptz not null
);

create index intel_probes_running_host on intel_probes_running (host_id, started_at, id);

insert into intel_probes_running (id, host_id, type, reason, started_at)
select id, host_id, type, reason, started_at from intel_probes where status = 'running';

delete from intel_probes where status = 'running';
