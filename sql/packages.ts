// "Which hosts have package X": the current package facts whose binary or source package is
// named X, with the version fields matching needs. Versions are compared in JS with each
// manager's own scheme (vuln/versions.ts), never in SQL: a fleet has few distinct versions of
// a package, so callers compare those (packageVersionRows) and page through the rows at the
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
 * built from, on every host. Uses the two partial indexes leading on the names (migrations 008
 * and 032).
 * Reads every row's value: for a page, or for versions only, see below.
 */
export async function packageHosts(sql: Sql, name: string): Promise<PackageHostRow[]> {
  // Two branches, one per index: the source index holds only binaries named otherwise.
  const rows = await sql<PackageDbRow[]>`
    select * from (
      select host_id, key, name, epoch, version, release, arch, evr, source_name,
        source_version, manager, valid_from
      from host_packages where valid_to is null and name = ${name}
      union all
      select host_id, key, name, epoch, version, release, arch, evr, source_name,
        source_version, manager, valid_from
      from host_packages
      where valid_to is null and source_name = ${name} and source_name <> name
    ) p
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

/**
 * The current rows naming `name`, binary or source, once each (a row can be both), as a
 * fragment; `perHost`: only those of the host `h` (a lateral join's). Each branch is an
 * index-only scan of one of the name indexes (migration 008; they hold every field selected
 * here; the source one only binaries named otherwise than their source, migration 032);
 * versions are checked on the index entries.
 */
function namedRows(
  sql: Sql,
  name: string,
  versions?: readonly PackageVersionKey[],
  perHost = false,
) {
  const byManager = new Map<string, string[]>();
  for (const v of versions ?? []) {
    byManager.set(v.manager, [...(byManager.get(v.manager) ?? []), v.evr]);
  }
  const at = versions
    ? sql`and (${[...byManager].reduce(
        (fragment, [manager, evrs], i) =>
          sql`${fragment} ${i > 0 ? sql`or` : sql``}
            (package_manager = ${manager} and package_evr = any(${evrs}::text[]))`,
        sql``,
      )})`
    : sql``;
  const on = perHost ? sql`and host_id = h.id` : sql``;
  const fields = sql`host_id, key, package_name as name, package_manager as manager,
    package_evr as evr, package_arch as arch, package_source as source_name,
    package_source_version as source_version, valid_from`;
  return sql`
    select ${fields} from host_facts
    where kind = 'package' and valid_to is null and package_name = ${name} ${on} ${at}
    union all
    select ${fields} from host_facts
    where kind = 'package' and valid_to is null and package_source = ${name} ${on}
      and package_source <> package_name ${at}`;
}

export interface PackageVersionKey {
  manager: PackageManager;
  evr: string;
}

export interface PackageVersionRows extends PackageVersionKey {
  /** Package rows at this version (a host can have several: arches, kernels). */
  rows: number;
}

export interface PackageVersionCount extends PackageVersionRows {
  hosts: number;
  /** Binary names at this version, sorted. */
  names: string[];
}

/** The hosts filter as a join, or nothing when it selects every host. */
function filteredHosts(sql: Sql, filter: HostFilter) {
  return isEmptyFilter(filter)
    ? sql``
    : sql`join hosts h on h.id = m.host_id ${hostFilterSql(sql, filter)}`;
}

/**
 * The current versions of package `name` (binary or source name) on the hosts the filter
 * selects, with their row counts: what a version filter decides on. From the indexes alone.
 */
export async function packageVersionRows(
  sql: Sql,
  name: string,
  filter: HostFilter,
): Promise<PackageVersionRows[]> {
  return sql<PackageVersionRows[]>`
    select m.manager, m.evr, count(*)::int as rows
    from (${namedRows(sql, name)}) m ${filteredHosts(sql, filter)}
    group by m.manager, m.evr`;
}

/** The same with host counts and binary names: the version spread. */
export async function packageVersionCounts(
  sql: Sql,
  name: string,
  filter: HostFilter,
): Promise<PackageVersionCount[]> {
  const rows = await sql<PackageVersionCount[]>`
    select m.manager, m.evr, count(*)::int as rows, count(distinct m.host_id)::int as hosts,
      array_agg(distinct m.name) as names
    from (${namedRows(sql, name)}) m ${filteredHosts(sql, filter)}
    group by m.manager, m.evr`;
  return rows.map((r) => ({ ...r, names: [...r.names].sort() }));
}

export interface PackageHostPageRow {
  hostId: string;
  hostName: string;
  key: string;
  name: string;
  arch: string;
  evr: string;
  source: { name: string; version: string } | null;
  manager: PackageManager;
  since: Date;
}

export interface PackageHostPageQuery {
  filter: HostFilter;
  /** Only these versions; all when absent. */
  versions?: readonly PackageVersionKey[];
  /** The [host name, host id, key] of the previous page's last row. */
  after?: readonly [string, string, string];
  limit: number;
}

type PageDbRow = {
  host_id: string;
  host_name: string;
  key: string;
  name: string;
  manager: PackageManager;
  evr: string;
  arch: string;
  source_name: string | null;
  source_version: string | null;
  valid_from: Date;
};

/** Hosts a page walks before it gives up on walking: a few pages' worth. */
const WALK_PAGES = 4;

/**
 * A page of the current packages named `name` (binary or source) on the selected hosts, by
 * host name, host id and key in code-point order, starting after `after`: up to `limit + 1`
 * rows (the extra one says a next page exists), from the indexes alone.
 *
 * A package most hosts have is paged by walking the hosts in name order and probing each:
 * a page costs about a page of probes, whatever the fleet's size. That walk stops after a few
 * pages' worth of hosts; when they hold less than a page (a rarer package), the matching rows
 * are sorted instead, which costs what they number.
 */
export async function packageHostPage(
  sql: Sql,
  name: string,
  q: PackageHostPageQuery,
): Promise<PackageHostPageRow[]> {
  if (q.versions?.length === 0) return [];
  const walk = (q.limit + 1) * WALK_PAGES;
  // Rows of the cursor's host after its key, and of the hosts after it. The first condition
  // is an index condition on hosts_name_code_point (migration 031).
  const from = q.after
    ? sql`and (h.name collate "C", h.id) >= (${q.after[0]}, ${q.after[1]}::uuid)`
    : sql``;
  const after = q.after
    ? sql`and ((h.name collate "C", h.id) > (${q.after[0]}, ${q.after[1]}::uuid)
          or m.key collate "C" > ${q.after[2]})`
    : sql``;
  const [walked, ...rows] = await sql<(PageDbRow & { walked: number })[]>`
    with h as materialized (
      select h.id, h.name from hosts h
      where true ${hostFilterSql(sql, q.filter)} ${from}
      order by h.name collate "C", h.id
      limit ${walk}
    )
    select w.walked, p.* from (select count(*)::int as walked from h) w
    left join lateral (
      select h.name as host_name, m.*
      from h cross join lateral (${namedRows(sql, name, q.versions, true)}) m
      where true ${after}
      order by h.name collate "C", h.id, m.key collate "C"
      limit ${q.limit + 1}
    ) p on true
    order by p.host_name collate "C", p.host_id, p.key collate "C"`;
  const found = walked?.host_id ? [walked, ...rows] : [];
  // A full page, or every host walked: the walk's answer is the answer.
  if (found.length > q.limit || (walked?.walked ?? 0) < walk) return found.map(toPageRow);
  const sorted = await sql<PageDbRow[]>`
    select h.name as host_name, m.*
    from (${namedRows(sql, name, q.versions)}) m
    join hosts h on h.id = m.host_id
    where true ${hostFilterSql(sql, q.filter)} ${from} ${after}
    order by h.name collate "C", h.id, m.key collate "C"
    limit ${q.limit + 1}`;
  return sorted.map(toPageRow);
}

const toPageRow = (r: PageDbRow): PackageHostPageRow => ({
  hostId: r.host_id,
  hostName: r.host_name,
  key: r.key,
  name: r.name,
  arch: r.arch,
  evr: r.evr,
  source: r.source_name === null ? null : { name: r.source_name, version: r.source_version ?? '' },
  manager: r.manager,
  since: r.valid_from,
});
