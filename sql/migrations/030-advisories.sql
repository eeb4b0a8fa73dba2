-- OSV advisories. The record is kept whole (jsonb) for reporting; what matching joins on is
-- split out: every id a record is known by (aliases, related and upstream CVE ids, its own
-- id) and every affected package per (ecosystem, name). Versions are never compared in SQL:
-- each scheme's rules live in vuln/versions.ts.

create table advisories (
  id text primary key,
  modified timestamptz not null,
  published timestamptz,
  -- A withdrawn advisory is kept (its history explains past answers) but no longer matched.
  withdrawn timestamptz,
  summary text,
  -- low | medium | high | critical | unknown, from the distribution's own rating.
  severity text not null default 'unknown',
  record jsonb not null,
  imported_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table advisory_aliases (
  alias text not null,
  advisory_id text not null references advisories (id) on delete cascade,
  -- self | alias | related | upstream
  relation text not null,
  primary key (alias, advisory_id)
);
create index advisory_aliases_advisory on advisory_aliases (advisory_id);

-- One row per affected[] entry; `affected` is that entry as the OSV parser output it.
create table advisory_packages (
  advisory_id text not null references advisories (id) on delete cascade,
  idx integer not null,
  ecosystem text not null,
  name text not null,
  affected jsonb not null,
  primary key (advisory_id, idx)
);
-- Matching joins a host's ecosystems and package names to this.
create index advisory_packages_lookup on advisory_packages (ecosystem, name);
