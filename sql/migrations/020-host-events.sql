-- What happened to a host beyond its probes (those are in intel_probes, from start to end):
-- became unreachable, recovered, presented a changed host key, was paused.
create table host_events (
  id bigint generated always as identity primary key,
  host_id uuid not null references hosts (id) on delete cascade,
  at timestamptz not null default now(),
  type text not null check (type in ('unreachable', 'recovered', 'host-key-changed', 'host-key-pinned')),
  detail jsonb not null default '{}'::jsonb
);

create index host_events_host_at on host_events (host_id, at desc, id desc);
create index host_events_at on host_events (at desc, id desc);
