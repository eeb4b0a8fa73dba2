-- What fleet-wide reads need beyond the facts' own indexes (008): the vulnerability index, and
-- the hosts in code-point order of their names.
--
-- The vulnerability index: what a whole-fleet correlation reads instead of every package fact.
--
-- A fleet shares few distinct package versions (10,000 hosts × 1,500 packages can be 15M fact
-- rows but tens of thousands of versions), and whether a version is affected depends only on
-- the version and the advisory. So each distinct installed package version is stored once
-- (vuln_package_versions), each host keeps the ids of its current ones (vuln_hosts), and a
-- correlation compares each (advisory, version) once in JS (vuln/match.ts, never in SQL), then
-- walks the hosts' id lists. vuln_hosts also holds what the host's os fact says about matching
-- (its OSV ecosystems, version scheme, running kernel), computed by vuln/ecosystems.ts.
--
-- The index is derived data, refreshed by vuln/fleet-index.ts before it is read: a trigger on
-- host_facts marks a host stale (per part: 'os' or 'packages') in the transaction that changes
-- its os or package facts, and a refresh rebuilds only stale hosts. Each mark carries a
-- sequence number, so a mark set again while a refresh read the host is not cleared by it.

-- The dictionary key of a package version: every field, length-prefixed (`5:amd64`; `~` for
-- null), so that no two versions share one.
create function vuln_package_identity(
  manager text, name text, arch text, evr text, version text, release text,
  source_name text, source_version text
) returns text language sql immutable parallel safe as $$
  select coalesce(length(manager)::text || ':' || manager, '~')
    || coalesce(length(name)::text || ':' || name, '~')
    || coalesce(length(arch)::text || ':' || arch, '~')
    || coalesce(length(evr)::text || ':' || evr, '~')
    || coalesce(length(version)::text || ':' || version, '~')
    || coalesce(length(release)::text || ':' || release, '~')
    || coalesce(length(source_name)::text || ':' || source_name, '~')
    || coalesce(length(source_version)::text || ':' || source_version, '~')
$$;

create table vuln_package_versions (
  id integer generated always as identity primary key,
  manager text not null,
  name text not null,
  arch text not null,
  evr text not null,
  version text not null,
  release text,
  source_name text,
  source_version text,
  identity text not null generated always as (
    vuln_package_identity(manager, name, arch, evr, version, release, source_name,
      source_version)
  ) stored
);
create unique index vuln_package_versions_identity on vuln_package_versions (identity);
-- Matching joins advisories' package names to binary or source names.
create index vuln_package_versions_name on vuln_package_versions (name);
create index vuln_package_versions_source on vuln_package_versions (source_name);

create table vuln_hosts (
  host_id uuid primary key references hosts (id) on delete cascade,
  -- From the current os fact: whether OSV data exists for the host, and if not why.
  supported boolean not null default false,
  reason text default 'no os fact',
  scheme text,
  names_source boolean,
  ecosystems text[] not null default '{}',
  kernel_release text,
  -- The ids of the host's current package versions, ascending, 4 bytes each (int4send).
  package_versions bytea not null default ''
);
-- Read whole (a few KB per host): kept out of line uncompressed, as it is random-looking.
alter table vuln_hosts alter column package_versions set storage external;

create sequence vuln_stale_seq;

create table vuln_stale_hosts (
  host_id uuid not null references hosts (id) on delete cascade,
  part text not null check (part in ('os', 'packages')),
  seq bigint not null default nextval('vuln_stale_seq'),
  primary key (host_id, part)
);

create function vuln_mark_stale() returns trigger language plpgsql as $$
begin
  insert into vuln_stale_hosts (host_id, part)
  select distinct host_id, case kind when 'os' then 'os' else 'packages' end
  from changed where kind in ('os', 'package')
  on conflict (host_id, part) do update set seq = nextval('vuln_stale_seq');
  return null;
end
$$;

-- Statement triggers: one insert per probe, whatever the number of fact rows it wrote.
create trigger host_facts_vuln_insert after insert on host_facts
  referencing new table as changed for each statement execute function vuln_mark_stale();
create trigger host_facts_vuln_update after update on host_facts
  referencing new table as changed for each statement execute function vuln_mark_stale();

-- Fleet lists answer by host name in code-point order (collation "C", whatever the
-- database's): a page of "which hosts have package X" walks the hosts in that order and probes
-- each one, instead of sorting every matching row.
create index hosts_name_code_point on hosts (name collate "C", id);

-- Hosts that already have facts are indexed by the first refresh.
insert into vuln_stale_hosts (host_id, part)
select host_id, case kind when 'os' then 'os' else 'packages' end
from host_fact_kinds where kind in ('os', 'package');
