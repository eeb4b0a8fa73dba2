-- Each host's latest finished probe and the collector outcomes of its latest facts probe,
-- kept by a trigger as probes are recorded. The fleet summary reads this row per host instead
-- of searching the probe log for it: 10,000 ordered lookups of the log's largest index (and of
-- its facts-probe index) were most of the summary's time. intel_probes only ever receives
-- finished probes (migration 006), each by INSERT; "latest" is the greatest (started_at, id),
-- as the probe log orders them, whatever order the rows arrive in.
create table host_probe_state (
  host_id uuid primary key references hosts (id) on delete cascade,
  last_started_at timestamptz not null,
  last_id uuid not null,
  last_status text not null,
  last_finished_at timestamptz,
  facts_started_at timestamptz,
  facts_id uuid,
  -- {"<collector>": "<status>"}: only what counting coverage needs.
  facts_collectors jsonb
);

create function probe_collector_statuses(collectors jsonb) returns jsonb
language sql immutable as $$
  select coalesce(jsonb_object_agg(key, value ->> 'status'), '{}'::jsonb)
  from jsonb_each(collectors)
$$;

create function host_probe_state_track() returns trigger language plpgsql as $$
declare
  s host_probe_state;
  inserted integer;
begin
  select * into s from host_probe_state where host_id = new.host_id for update;
  if not found then
    insert into host_probe_state (host_id, last_started_at, last_id, last_status,
      last_finished_at, facts_started_at, facts_id, facts_collectors)
    values (new.host_id, new.started_at, new.id, new.status, new.finished_at,
      case when new.type = 'facts' then new.started_at end,
      case when new.type = 'facts' then new.id end,
      case when new.type = 'facts' then probe_collector_statuses(new.collectors) end)
    on conflict (host_id) do nothing;
    get diagnostics inserted = row_count;
    if inserted = 1 then return null; end if;
    -- Another probe of this host created the row meanwhile: compare with it.
    select * into s from host_probe_state where host_id = new.host_id for update;
  end if;
  if (new.started_at, new.id) > (s.last_started_at, s.last_id) then
    update host_probe_state set last_started_at = new.started_at, last_id = new.id,
      last_status = new.status, last_finished_at = new.finished_at
    where host_id = new.host_id;
  end if;
  if new.type = 'facts' and (s.facts_started_at is null
      or (new.started_at, new.id) > (s.facts_started_at, s.facts_id)) then
    update host_probe_state set facts_started_at = new.started_at, facts_id = new.id,
      facts_collectors = probe_collector_statuses(new.collectors)
    where host_id = new.host_id;
  end if;
  return null;
end
$$;

create trigger intel_probes_track_state after insert on intel_probes
  for each row when (new.status <> 'running') execute function host_probe_state_track();

-- Hosts probed before this migration: one ordered lookup each, through the existing indexes.
insert into host_probe_state (host_id, last_started_at, last_id, last_status, last_finished_at,
  facts_started_at, facts_id, facts_collectors)
select h.id, l.started_at, l.id, l.status, l.finished_at, f.started_at, f.id,
  probe_collector_statuses(f.collectors)
from hosts h
cross join lateral (
  select started_at, id, status, finished_at from intel_probes
  where host_id = h.id and status <> 'running' order by started_at desc, id desc limit 1
) l
left join lateral (
  select started_at, id, collectors from intel_probes
  where host_id = h.id and type = 'facts' and status <> 'running'
  order by started_at desc, id desc limit 1
) f on true;
