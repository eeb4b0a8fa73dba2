// The vulnerability index's tables (migration 031): which hosts are stale, rebuilding their
// rows, and reading them back. What a host's os fact means is decided by the caller
// (vuln/host-scope.ts); this module only moves rows.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './client.ts';

/** A connection or a transaction: readers run in either (correlations read one snapshot). */
export type Queries = postgres.ISql;

export type VulnIndexPart = 'os' | 'packages';

export interface StaleMark {
  hostId: string;
  part: VulnIndexPart;
  /** The mark's sequence number (bigint as text): cleared only if still the same. */
  seq: string;
}

/** Key of pg_advisory_xact_lock: "refreshing the vulnerability index", one at a time. */
const INDEX_LOCK = 0x76756c6e;

/**
 * Runs `work` in a transaction holding the index lock. Refreshes take turns: one that waited
 * finds the marks the other cleared gone, and a refresh never races another's dictionary
 * inserts (rebuildHostPackages reads the ids its own statement could not see otherwise).
 */
export function withIndexLock<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>) {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${INDEX_LOCK})`;
    return work(tx);
  });
}

/** Up to `limit` stale marks of the part. */
export async function staleMarks(
  tx: TransactionSql,
  part: VulnIndexPart,
  limit: number,
): Promise<StaleMark[]> {
  const rows = await tx<{ host_id: string; seq: string }[]>`
    select host_id, seq::text as seq from vuln_stale_hosts
    where part = ${part}
    order by host_id
    limit ${limit}`;
  return rows.map((r) => ({ hostId: r.host_id, part, seq: r.seq }));
}

/** Whether anything of the parts is stale: the common case, one index probe. */
export async function anyStale(sql: Sql, parts: readonly VulnIndexPart[]): Promise<boolean> {
  const [row] = await sql<{ stale: boolean }[]>`
    select exists (select from vuln_stale_hosts where part = any(${parts as VulnIndexPart[]}))
      as stale`;
  return row?.stale ?? false;
}

/** Clears the marks, except those set again since they were read. */
export async function clearMarks(tx: TransactionSql, marks: readonly StaleMark[]) {
  if (marks.length === 0) return;
  await tx`
    delete from vuln_stale_hosts s
    using unnest(${marks.map((m) => m.hostId)}::uuid[], ${marks.map((m) => m.part)}::text[],
      ${marks.map((m) => m.seq)}::bigint[]) as m(host_id, part, seq)
    where s.host_id = m.host_id and s.part = m.part and s.seq = m.seq`;
}

/** The current os fact of each host (null when it has none). */
export async function currentOsValues(
  tx: TransactionSql,
  hostIds: readonly string[],
): Promise<Map<string, Record<string, unknown> | null>> {
  const rows = await tx<{ id: string; value: Record<string, unknown> | null }[]>`
    select h.id, f.value
    from unnest(${hostIds as string[]}::uuid[]) as h(id)
    left join host_facts f
      on f.host_id = h.id and f.kind = 'os' and f.key = 'os' and f.valid_to is null`;
  return new Map(rows.map((r) => [r.id, r.value]));
}

export interface HostScopeRow {
  hostId: string;
  supported: boolean;
  reason: string | null;
  scheme: string | null;
  namesSource: boolean | null;
  ecosystems: readonly string[];
  kernelRelease: string | null;
}

/** Upserts the os-derived columns of vuln_hosts (hosts deleted meanwhile are skipped). */
export async function writeHostScopes(tx: TransactionSql, rows: readonly HostScopeRow[]) {
  if (rows.length === 0) return;
  // Arrays of arrays travel as JSON: one text[] per host would need a rectangular array.
  await tx`
    insert into vuln_hosts (host_id, supported, reason, scheme, names_source, ecosystems,
      kernel_release)
    select r.host_id, r.supported, r.reason, r.scheme, r.names_source,
      array(select jsonb_array_elements_text(r.ecosystems)), r.kernel_release
    from jsonb_to_recordset(${JSON.stringify(
      rows.map((r) => ({
        host_id: r.hostId,
        supported: r.supported,
        reason: r.reason,
        scheme: r.scheme,
        names_source: r.namesSource,
        ecosystems: r.ecosystems,
        kernel_release: r.kernelRelease,
      })),
    )}::text::jsonb) as r(host_id uuid, supported boolean, reason text, scheme text,
      names_source boolean, ecosystems jsonb, kernel_release text)
    where exists (select from hosts h where h.id = r.host_id)
    on conflict (host_id) do update set
      supported = excluded.supported, reason = excluded.reason, scheme = excluded.scheme,
      names_source = excluded.names_source, ecosystems = excluded.ecosystems,
      kernel_release = excluded.kernel_release`;
}

/**
 * Rebuilds the package-version lists of the hosts from their current package facts, adding
 * versions the dictionary does not hold yet. Set-based: the facts never leave the server.
 */
export async function rebuildHostPackages(tx: TransactionSql, hostIds: readonly string[]) {
  if (hostIds.length === 0) return;
  // `added` returns the ids this statement inserts, which `known` (reading the table with the
  // statement's snapshot) cannot see; the index lock keeps other refreshes from inserting.
  await tx`
    with keyed as materialized (
      select f.host_id, f.package_manager as manager, f.package_name as name,
        f.package_arch as arch, f.package_evr as evr, f.package_version as version,
        f.package_release as release, f.package_source as source_name,
        f.package_source_version as source_version,
        vuln_package_identity(f.package_manager, f.package_name, f.package_arch, f.package_evr,
          f.package_version, f.package_release, f.package_source,
          f.package_source_version) as identity
      from host_facts f
      where f.host_id = any(${hostIds as string[]}::uuid[]) and f.kind = 'package'
        and f.valid_to is null
        -- A malformed fact can match nothing; it must not fail the refresh either.
        and f.package_manager is not null and f.package_name is not null
        and f.package_evr is not null and f.package_arch is not null
        and f.package_version is not null
    ), added as (
      insert into vuln_package_versions
        (manager, name, arch, evr, version, release, source_name, source_version)
      select distinct on (identity)
        manager, name, arch, evr, version, release, source_name, source_version
      from keyed
      on conflict (identity) do nothing
      returning id, identity
    ), known as (
      select v.id, v.identity from vuln_package_versions v
      where v.identity in (select identity from keyed)
      union all
      select id, identity from added
    ), lists as (
      select k.host_id, string_agg(int4send(n.id), ''::bytea order by n.id) as ids
      from keyed k join known n on n.identity = k.identity
      group by k.host_id
    )
    insert into vuln_hosts (host_id, package_versions)
    select h.id, coalesce(l.ids, ''::bytea)
    from unnest(${hostIds as string[]}::uuid[]) as h(id)
    left join lists l on l.host_id = h.id
    where exists (select from hosts x where x.id = h.id)
    on conflict (host_id) do update set package_versions = excluded.package_versions`;
}

export interface IndexedHost {
  hostId: string;
  scheme: string;
  namesSource: boolean;
  ecosystems: string[];
  kernelRelease: string | null;
  /** int4 big-endian ids of vuln_package_versions, ascending. */
  packageVersions: Buffer;
}

/** The supported hosts of the index, `chunk` at a time (a cursor: memory stays bounded). */
export async function forEachIndexedHost(
  sql: Queries,
  chunk: number,
  each: (hosts: IndexedHost[]) => void,
): Promise<void> {
  await sql<
    {
      host_id: string;
      scheme: string;
      names_source: boolean;
      ecosystems: string[];
      kernel_release: string | null;
      package_versions: Buffer;
    }[]
  >`
    select host_id, scheme, names_source, ecosystems, kernel_release, package_versions
    from vuln_hosts
    where supported`.cursor(chunk, (rows) => {
    each(
      rows.map((r) => ({
        hostId: r.host_id,
        scheme: r.scheme,
        namesSource: r.names_source,
        ecosystems: r.ecosystems,
        kernelRelease: r.kernel_release,
        packageVersions: r.package_versions,
      })),
    );
  });
}

/** The highest package-version id (ids are dense from 1): 0 when there is none. */
export async function maxPackageVersionId(sql: Queries): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    select coalesce(max(id), 0) as id from vuln_package_versions`;
  return row?.id ?? 0;
}

/** The distinct ecosystems of the supported hosts. */
export async function indexedEcosystems(sql: Queries): Promise<string[]> {
  const rows = await sql<{ ecosystem: string }[]>`
    select distinct unnest(ecosystems) as ecosystem from vuln_hosts where supported
    order by 1`;
  return rows.map((r) => r.ecosystem);
}

export interface PackageVersionRow {
  id: number;
  manager: string;
  name: string;
  arch: string;
  evr: string;
  version: string;
  release: string | null;
  sourceName: string | null;
  sourceVersion: string | null;
}

/** The dictionary's versions of packages whose binary or source name is one of `names`. */
export async function packageVersionsNamed(
  sql: Queries,
  names: readonly string[],
): Promise<PackageVersionRow[]> {
  const rows = await sql<
    {
      id: number;
      manager: string;
      name: string;
      arch: string;
      evr: string;
      version: string;
      release: string | null;
      source_name: string | null;
      source_version: string | null;
    }[]
  >`
    select id, manager, name, arch, evr, version, release, source_name, source_version
    from vuln_package_versions
    where name = any(${names as string[]}::text[]) or source_name = any(${names as string[]}::text[])`;
  return rows.map((r) => ({
    id: r.id,
    manager: r.manager,
    name: r.name,
    arch: r.arch,
    evr: r.evr,
    version: r.version,
    release: r.release,
    sourceName: r.source_name,
    sourceVersion: r.source_version,
  }));
}
