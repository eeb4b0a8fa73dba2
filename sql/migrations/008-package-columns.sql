-- Package and os fields as columns of host_facts, so that fleet questions read an index alone.
--
-- "Which hosts have package X (below version V)" and "which hosts run the versions an advisory
-- names" need, per matching row, the host, the key, the version and the manager. With the
-- expression indexes of 003 every matching row was read from the table: at 10,000 hosts a
-- package that every host has is 10,000 rows on 10,000 pages (~70 ms, mostly page reads).
-- PostgreSQL scans an index alone only when every column a query names is in it, and an index
-- on `value ->> 'name'` does not hold `value`; generated columns can be in an index.
--
-- Likewise the fleet summary reads every host's os fact: 10,000 rows on as many pages.
--
-- The columns are generated from `value` (nothing writes them) and null on other kinds.

alter table host_facts
  add column package_name text
    generated always as (case when kind = 'package' then value ->> 'name' end) stored,
  add column package_evr text
    generated always as (case when kind = 'package' then value ->> 'evr' end) stored,
  add column package_manager text
    generated always as (case when kind = 'package' then value ->> 'manager' end) stored,
  add column package_source text
    generated always as (case when kind = 'package' then value -> 'source' ->> 'name' end) stored,
  add column package_source_version text
    generated always as (case when kind = 'package' then value -> 'source' ->> 'version' end)
    stored,
  add column package_arch text
    generated always as (case when kind = 'package' then value ->> 'arch' end) stored,
  add column package_version text
    generated always as (case when kind = 'package' then value ->> 'version' end) stored,
  add column package_release text
    generated always as (case when kind = 'package' then value ->> 'release' end) stored,
  add column os_id text
    generated always as (case when kind = 'os' then value ->> 'id' end) stored,
  add column os_version_id text
    generated always as (case when kind = 'os' then value ->> 'versionId' end) stored,
  add column os_kernel_release text
    generated always as (case when kind = 'os' then value ->> 'kernelRelease' end) stored,
  add column os_reboot_required boolean
    generated always as (
      case when kind = 'os' and jsonb_typeof(value -> 'rebootRequired') = 'boolean'
        then (value -> 'rebootRequired')::boolean end
    ) stored;

-- Current packages by binary name, then host: the hosts of a package (with their versions, for
-- version filters and spreads, and every field an answer about them shows) from the index
-- alone; and per host, a probe that a page in host-name order can take host by host.
drop index host_facts_package_name;
create index host_facts_package_name on host_facts (package_name, host_id)
  include (package_evr, package_manager, key, package_source, package_source_version,
    package_arch, package_version, package_release, valid_from)
  where kind = 'package' and valid_to is null;
-- The same by source package: Debian, Ubuntu and Alpine advisories name source packages.
drop index host_facts_package_source;
create index host_facts_package_source on host_facts (package_source, host_id)
  include (package_source_version, package_name, package_evr, package_manager, key,
    package_arch, package_version, package_release, valid_from)
  where kind = 'package' and valid_to is null;

-- Each host's current os fact as the fleet summary reads it.
create index host_facts_os on host_facts (host_id)
  include (os_id, os_version_id, os_kernel_release, os_reboot_required)
  where kind = 'os' and valid_to is null;

create or replace view host_packages as
select
  host_id,
  key,
  package_name as name,
  (value ->> 'epoch')::integer as epoch,
  package_version as version,
  package_release as release,
  package_arch as arch,
  package_evr as evr,
  package_source as source_name,
  package_source_version as source_version,
  package_manager as manager,
  valid_from,
  valid_to,
  first_probe_id
from host_facts
where kind = 'package';
