-- The probe log: one row per probe, the evidence behind "why is this host stale". A row is
-- inserted when the probe starts (status 'running', so the API can show it and answer 202
-- with its id) and completed when it ends.
--
-- At 10,000 hosts with a metrics probe a minute this is the busiest table after the metrics,
-- so with TimescaleDB it is a hypertable on started_at and retention drops whole chunks. A
-- hypertable's unique indexes must contain the partitioning column: hence the primary key
-- (id, started_at), kept the same on plain PostgreSQL. Ids are random UUIDs.
-- Nothing references this table: fact rows and changes keep their probe id after the
-- probe log's shorter retention has removed the row.

create table intel_probes (
  id uuid not null default gen_random_uuid(),
  host_id uuid not null references hosts (id) on delete cascade,
  type text not null check (type in ('facts', 'metrics')),
  reason text check (reason in ('scheduled', 'manual')),
  started_at timestamptz not null,
  finished_at timestamptz,
  status text not null default 'running'
    check (status in ('running', 'ok', 'partial', 'failed', 'timeout')),
  -- {"<collector>": {"status": "ok", "durationMs": 12, "facts": 850, "error": "…"}, …}
  collectors jsonb not null default '{}'::jsonb check (jsonb_typeof(collectors) = 'object'),
  bytes bigint check (bytes >= 0),
  error text,
  -- Stable machine-readable reason of a failed probe: host-key-changed, auth, timeout, …
  error_code text,
  -- Fact rows this probe changed (added + removed + changed; a baseline counts its facts).
  fact_changes integer check (fact_changes >= 0),
  primary key (id, started_at),
  check ((status = 'running') = (finished_at is null)),
  check (finished_at is null or finished_at >= started_at)
);

-- A host's probe history, newest first, paginated on (started_at, id).
create index intel_probes_host on intel_probes (host_id, started_at, id);
-- Retention and fleet-wide listings.
create index intel_probes_started on intel_probes (started_at);
-- "What is running now": small, since a probe is running for seconds.
create index intel_probes_running on intel_probes (host_id) where status = 'running';

do $$
begin
  if exists (select from pg_extension where extname = 'timescaledb') then
    perform create_hypertable('intel_probes', by_range('started_at', interval '1 day'),
      create_default_indexes => false);
  end if;
end
$$;
