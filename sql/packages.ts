// "Which hosts have package X": the current package facts whose binary or source package is
// named X, with the version fields matching needs. Versions are compared in JS with each
// manager's own scheme (vuln/versions.ts), never in SQL: a fleet has few distinct versions of
// a package, so callers compare those (packageVersionCounts) and page through the rows at the
// versions they accept (packageHostPage), by exact version string.
import type { PackageManager } from '../collectors/packages.ts';
import type { Sql } from './client.ts';
import { hostFilterSql, isEmptyFilter } from './fleet-queries.ts';
import type { HostFilter } from './hosts.ts';

export interface PackageHostRow {
  hostId: string;
  /** The fact key (name:arch, or name:arch:evr for rpm kernels and other multi-version names). */
  key: string;
  name: string;
  epoch: number | null;
  version: string;
  release: string | null;
  arch: string;
  /** The full version as the manager compares it. */
  evr: string;
  source: { name: string; version: string } | null;
  manager: PackageManager;
  /** Installed (or at this version) since. */
  since: Date;
}

/**
 * Every current package named `name`, as a binary package or as the source package it was
 * built from, on every host. Uses the two partial indexes leading on the names (migration 003).
 */
export async function packageHosts(sql: Sql, name: string): Promise<PackageHostRow[]> {
  const rows = await sql<PackageDbRow[]>`
    select host_id, key, name, epoch, version, release, arch, evr, source_name, source_version,
      manager, valid_from
    from host_packages
    where valid_to is null and (name = ${name} or source_name = ${name})
    order by host_id, key`;
  return rows.map(toPackageHost);
}

type PackageDbRow = {
  host_id: string;
  key: string;
  name: string;
  epoch: number | null;
  version: string;
  release: string | null;
  arch: string;
  evr: string;
  source_name: string | null;
  source_version: string | null;
  manager: PackageManager;
  valid_from: Date;
};

const toPackageHost = (r: PackageDbRow): PackageHostRow => ({
  hostId: r.host_id,
  key: r.key,
  name: r.name,
  epoch: r.epoch,
  version: r.version,
  release: r.release,
  arch: r.arch,
  evr: r.evr,
  source: r.source_name === null ? null : { name: r.source_name, version: r.source_version ?? '' },
  manager: r.manager,
  since: r.valid_from,
});

/** The rows naming `name`, binary or source, once each (a row can be both), as a fragment. */
function namedRows(sql: Sql, name: string, versions?: readonly PackageVersionKey[]) {
  // Each branch is an index-only scan of migration 008's indexes, on the name alone or per host;
  // the versions are checked on the index entries (one `= any` per manager).
  const byManager = new Map<string, string[]>();
  for (const v of versions ?? [])
    byManager.set(v.manager, [...(byManager.get(v.manager) ?? []), v.evr]);
  const at = versions
    ? sql`and (${[...byManager].reduce(
        (fragment, [manager, evrs], i) =>
          sql`${fragment} ${i > 0 ? sql`or` : sql``}
            (package_manager = ${manager} and package_evr = any(${evrs}::text[]))`,
        sql``,
      )})`
    : sql``;
  return sql`
    select host_id, key, package_name as name, package_manager as manager, package_evr as evr
    from host_facts
    where kind = 'package' and valid_to is null and package_name = ${name} ${at}
    union all
    select host_id, key, package_name, package_manager, package_evr
    from host_facts
    where kind = 'package' and valid_to is null and package_source = ${name}
      and package_name is distinct from ${name} ${at}`;
}

export interface PackageVersionKey {
  manager: PackageManager;
  evr: string;
}

export interface PackageVersionCount extends PackageVersionKey {
  /** Package rows at this version (a host can have several: arches, kernels). */
  rows: number;
  hosts: number;
  /** Binary names at this version, sorted. */
  names: string[];
}

/**
 * The current versions of package `name` (binary or source name) on the hosts the filter
 * selects, with their row and host counts. Read from the indexes alone.
 */
export async function packageVersionCounts(
  sql: Sql,
  name: string,
  filter: HostFilter,
): Promise<PackageVersionCount[]> {
  const rows = await sql<
    { manager: PackageManager; evr: string; rows: number; hosts: number; names: string[] }[]
  >`
    select m.manager, m.evr, count(*)::int as rows, count(distinct m.host_id)::int as hosts,
      array_agg(distinct m.name) as names
    from (${namedRows(sql, name)}) m
    ${isEmptyFilter(filter) ? sql`` : sql`join hosts h on h.id = m.host_id ${hostFilterSql(sql, filter)}`}
    group by m.manager, m.evr`;
  return rows.map((r) => ({ ...r, names: [...r.names].sort() }));
}

export interface PackageHostPageRow extends PackageHostRow {
  hostName: string;
}

export interface PackageHostPageQuery {
  filter: HostFilter;
  /** Only these versions; all when absent. */
  versions?: readonly PackageVersionKey[];
  /** The [host name, host id, key] of the previous page's last row. */
  after?: readonly [string, string, string];
  limit: number;
}

/**
 * A page of the current packages named `name` (binary or source) on the selected hosts, by
 * host name, host id and key in code-point order, starting after `after`: up to `limit + 1`
 * rows (the extra one says a next page exists). Only the page's rows are read from the table.
 * The planner picks, by the name's frequency: walking the hosts in name order and probing each
 * (a package most hosts have: a page costs a page of probes), or sorting the matching rows.
 */
export async function packageHostPage(
  sql: Sql,
  name: string,
  q: PackageHostPageQuery,
): Promise<PackageHostPageRow[]> {
  if (q.versions?.length === 0) return [];
  // The first half is an index condition on hosts_name_code_point (migration 031).
  const after = q.after
    ? sql`and (h.name collate "C", h.id) >= (${q.after[0]}, ${q.after[1]}::uuid)
        and ((h.name collate "C", h.id) > (${q.after[0]}, ${q.after[1]}::uuid)
          or m.key collate "C" > ${q.after[2]})`
    : sql``;
  const rows = await sql<(PackageDbRow & { host_name: string })[]>`
    with page as (
      select m.host_id, h.name as host_name, m.key
      from (${namedRows(sql, name, q.versions)}) m
      join hosts h on h.id = m.host_id
      where true ${hostFilterSql(sql, q.filter)} ${after}
      order by h.name collate "C", h.id, m.key collate "C"
      limit ${q.limit + 1}
    )
    select p.host_id, p.host_name, f.key, f.package_name as name,
      (f.value ->> 'epoch')::integer as epoch, f.package_version as version,
      f.package_release as release, f.package_arch as arch, f.package_evr as evr,
      f.package_source as source_name, f.package_source_version as source_version,
      f.package_manager as manager, f.valid_from
    from page p
    join host_facts f on f.host_id = p.host_id and f.kind = 'package' and f.key = p.key
      and f.valid_to is null
    order by p.host_name collate "C", p.host_id, p.key collate "C"`;
  return rows.map((r) => ({ ...toPackageHost(r), hostName: r.host_name }));
}
