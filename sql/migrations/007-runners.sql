-- Several runner processes share one database, with PostgreSQL as the coordinator (DESIGN §6).
-- A runner registers in `runners` and renews its heartbeat; hosts are handed out through
-- `host_leases`, one row per host (created with the host), naming at most one runner. A lease
-- holds exactly as long as its runner does: while runners.expires_at > now() — the database's
-- clock, never a runner's. So one row renews all of a runner's leases (renewing 10,000 lease
-- rows took 0.2–0.5 s a heartbeat here, the runner row and a read of its leases ~50 ms), and a
-- dead runner's leases all expire at the same instant as the runner.

create table runners (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  hostname text not null check (length(hostname) between 1 and 253),
  pid integer not null,
  version text not null check (length(version) between 1 and 100),
  -- The lease time-to-live this runner renews with, for the API.
  ttl_ms integer not null check (ttl_ms > 0),
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  expires_at timestamptz not null,
  -- Set by a clean stop (which also sets expires_at to the stop time).
  stopped_at timestamptz
);

-- Live runners, and the purge of runners dead for long.
create index runners_expires on runners (expires_at);

create table host_leases (
  host_id uuid primary key references hosts (id) on delete cascade,
  -- null: never owned, or released (a runner purged long after it died leaves null too). A
  -- lease naming a runner whose heartbeat expired is free to claim.
  runner_id uuid references runners (id) on delete set null,
  acquired_at timestamptz,
  -- Incremented by every claim: how often the host changed hands (tests count handovers).
  claims bigint not null default 0
);

create index host_leases_runner on host_leases (runner_id, host_id);

insert into host_leases (host_id) select id from hosts;

-- Every host gets its lease row as it is inserted, so a claim is one locked UPDATE
-- (FOR UPDATE SKIP LOCKED cannot lock the missing side of an outer join).
create function hosts_lease_row() returns trigger language plpgsql as $$
begin
  insert into host_leases (host_id) values (new.id);
  return null;
end
$$;

create trigger hosts_lease_row after insert on hosts
  for each row execute function hosts_lease_row();
