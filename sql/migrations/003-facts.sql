-- State facts, written on change, with full history: one row per version of a fact, valid
-- over [valid_from, valid_to); valid_to null = the current version. One model answers
-- "now" (the open rows), "as of T" (valid_from <= T < valid_to) and "what changed".
-- A probe that finds nothing changed writes no row here at all.

create table host_facts (
  id bigint generated always as identity primary key,
  host_id uuid not null references hosts (id) on delete cascade,
  kind text not null,
  key text not null,
  value jsonb not null,
  -- sql/fact-hash.ts: 48 bits of the MD5 of the value's JSON text as the collector produced
  -- it, and the key's bucket. A probe diffs (kind, key, hash) of the buckets whose hash
  -- changed instead of reading every value back; values equal as jsonb but different as text
  -- (a collector that reordered its fields) are not a change.
  value_hash bigint not null,
  bucket smallint not null check (bucket >= 0),
  valid_from timestamptz not null,
  valid_to timestamptz,
  -- The probe that saw this version first, and the one that saw it gone or changed.
  first_probe_id uuid not null,
  closed_probe_id uuid,
  check (valid_to is null or valid_to > valid_from),
  check ((valid_to is null) = (closed_probe_id is null))
);

-- (a) Current state, and the diff's lookup of what is there now: one open row per key.
create unique index host_facts_current on host_facts (host_id, kind, key) where valid_to is null;
-- The diff: the open rows of a few buckets, without visiting the heap.
create index host_facts_current_bucket on host_facts (host_id, kind, bucket)
  include (key, value_hash) where valid_to is null;
-- (b) As of T, per host and kind in key order; also one fact's history.
create index host_facts_history on host_facts (host_id, kind, key, valid_from);
-- "Which hosts have fact (kind, key) now": services, listeners, users across the fleet.
create index host_facts_current_key on host_facts (kind, key, host_id) where valid_to is null;
-- Retention of closed history.
create index host_facts_closed on host_facts (valid_to) where valid_to is not null;

-- "Which hosts have package X": an index leading on the package name (binary and source).
-- Without it the question scans every current package row of the fleet.
create index host_facts_package_name on host_facts ((value ->> 'name'), host_id)
  where kind = 'package' and valid_to is null;
create index host_facts_package_source on host_facts ((value -> 'source' ->> 'name'), host_id)
  where kind = 'package' and valid_to is null;

-- Package facts with their fields as typed columns (no copy: a view over the jsonb). Queries
-- on name or source_name with valid_to is null use the two indexes above.
create view host_packages as
select
  host_id,
  key,
  value ->> 'name' as name,
  (value ->> 'epoch')::integer as epoch,
  value ->> 'version' as version,
  value ->> 'release' as release,
  value ->> 'arch' as arch,
  value ->> 'evr' as evr,
  value -> 'source' ->> 'name' as source_name,
  value -> 'source' ->> 'version' as source_version,
  value ->> 'manager' as manager,
  valid_from,
  valid_to,
  first_probe_id
from host_facts
where kind = 'package';

-- Per host and fact kind: when the kind was first collected (its baseline, which the change
-- feed shows as one entry instead of a flood of "added") and last collected successfully.
create table host_fact_kinds (
  host_id uuid not null references hosts (id) on delete cascade,
  kind text not null,
  baseline_probe_id uuid not null,
  baseline_at timestamptz not null,
  last_success_at timestamptz not null,
  last_probe_id uuid not null,
  -- The hashes of the kind's fact set at the last success (sql/fact-hash.ts): an equal
  -- facts_hash means nothing of this kind changed, and the probe reads and writes no fact
  -- row of it; otherwise only the buckets whose hash differs are diffed.
  facts_hash text not null,
  bucket_hashes text not null,
  primary key (host_id, kind)
);

-- The change feed: one row per change, written with the fact rows in the probe's
-- transaction. Its identity column is the unique tie-breaker of the feed's cursor
-- (at, id): many changes share one probe's timestamp.
create table host_fact_changes (
  id bigint generated always as identity primary key,
  host_id uuid not null references hosts (id) on delete cascade,
  kind text not null,
  -- null for a baseline entry, which stands for all facts of the kind.
  key text,
  change text not null check (change in ('baseline', 'added', 'removed', 'changed')),
  at timestamptz not null,
  probe_id uuid not null,
  before jsonb,
  -- A baseline's after is {"facts": <count>}.
  after jsonb,
  check ((change = 'baseline') = (key is null)),
  check (change not in ('added', 'baseline') or (before is null and after is not null)),
  check (change <> 'removed' or (before is not null and after is null)),
  check (change <> 'changed' or (before is not null and after is not null))
);

create index host_fact_changes_host on host_fact_changes (host_id, at, id);
create index host_fact_changes_host_kind on host_fact_changes (host_id, kind, at, id);
create index host_fact_changes_at on host_fact_changes (at, id);
create index host_fact_changes_kind on host_fact_changes (kind, at, id);
