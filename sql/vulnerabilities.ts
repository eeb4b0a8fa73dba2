// The SQL half of vulnerability matching: hosts' os facts, advisories' affected entries, the
// versions installed of the packages they name, and the package rows at given versions.
// Whether a version is affected is decided in JS by vuln/match.ts with the scheme's own rules;
// SQL only narrows by ecosystem, name and exact version strings.
import type { OsvAffected } from '../vuln/osv.ts';
import type { Severity } from './advisories.ts';
import type { Sql } from './client.ts';
import type { Queries } from './vuln-index.ts';

/** Which package fact versions: the current ones, those valid at an instant, or all history. */
export type Validity =
  | { readonly mode: 'current' }
  | { readonly mode: 'asOf'; readonly at: Date }
  | { readonly mode: 'history' };

export interface HostOsRow {
  hostId: string;
  value: Record<string, unknown>;
}

/** The `os` fact of each host (all hosts, or the ones given), current or as of `at`. */
export async function hostOsFacts(
  sql: Sql,
  options: { hostIds?: readonly string[]; at?: Date } = {},
): Promise<HostOsRow[]> {
  const rows = await sql<{ host_id: string; value: Record<string, unknown> }[]>`
    select host_id, value from host_facts
    where kind = 'os' and key = 'os'
      ${options.hostIds ? sql`and host_id = any(${options.hostIds as string[]}::uuid[])` : sql``}
      ${
        options.at
          ? sql`and valid_from <= ${options.at} and (valid_to is null or valid_to > ${options.at})`
          : sql`and valid_to is null`
      }
    order by host_id`;
  return rows.map((r) => ({ hostId: r.host_id, value: r.value }));
}

export interface HostOsVersionRow extends HostOsRow {
  validFrom: Date;
  validTo: Date | null;
}

/** Every version of the hosts' `os` facts (a release upgrade changes the ecosystems). */
export async function hostOsHistory(
  sql: Sql,
  hostIds?: readonly string[],
): Promise<HostOsVersionRow[]> {
  const rows = await sql<
    { host_id: string; value: Record<string, unknown>; valid_from: Date; valid_to: Date | null }[]
  >`
    select host_id, value, valid_from, valid_to from host_facts
    where kind = 'os' and key = 'os'
      ${hostIds ? sql`and host_id = any(${hostIds as string[]}::uuid[])` : sql``}
    order by host_id, valid_from`;
  return rows.map((r) => ({
    hostId: r.host_id,
    value: r.value,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  }));
}

/** A host with one OSV ecosystem that applies to it. */
export interface HostEcosystem {
  hostId: string;
  ecosystem: string;
  namesSource: boolean;
}

export interface CandidateRow {
  hostId: string;
  ecosystem: string;
  advisoryId: string;
  /** The package name as the advisory gives it (source or binary, per ecosystem). */
  advisoryPackage: string;
  affected: OsvAffected;
  key: string;
  name: string;
  evr: string;
  version: string;
  release: string | null;
  arch: string;
  sourceName: string | null;
  sourceVersion: string | null;
  validFrom: Date;
  validTo: Date | null;
}

type CandidateDbRow = {
  host_id: string;
  ecosystem: string;
  advisory_id: string;
  advisory_package: string;
  affected: OsvAffected;
  key: string;
  name: string;
  evr: string;
  version: string;
  release: string | null;
  arch: string;
  source_name: string | null;
  source_version: string | null;
  valid_from: Date;
  valid_to: Date | null;
};

/**
 * Host package versions whose (ecosystem, name) an advisory names: the binary name, or the
 * source name where the ecosystem names source packages. Withdrawn advisories are left out.
 * For a few hosts: the hosts' package rows drive the join (an index on the host), each looking
 * up its (ecosystem, name) in advisory_packages.
 */
export async function candidateRows(
  sql: Sql,
  hosts: readonly HostEcosystem[],
  options: { validity: Validity; advisoryIds?: readonly string[] },
): Promise<CandidateRow[]> {
  if (hosts.length === 0) return [];
  const v = options.validity;
  const validity =
    v.mode === 'current'
      ? sql`and f.valid_to is null`
      : v.mode === 'asOf'
        ? sql`and f.valid_from <= ${v.at} and (f.valid_to is null or f.valid_to > ${v.at})`
        : sql``;
  const advisoryFilter = options.advisoryIds
    ? sql`and ap.advisory_id = any(${options.advisoryIds as string[]}::text[])`
    : sql``;
  const hostIds = [...new Set(hosts.map((h) => h.hostId))];
  const rows = await sql<CandidateDbRow[]>`
    with he as (
      -- postgres.js sends a JS boolean[] as one boolean: the flags travel as text.
      select host_id, ecosystem, names_source::boolean as names_source
      from unnest(${hosts.map((h) => h.hostId)}::uuid[], ${hosts.map((h) => h.ecosystem)}::text[],
        ${hosts.map((h) => String(h.namesSource))}::text[]) as t(host_id, ecosystem, names_source)
    ), hp as (
      select f.host_id, f.key, f.package_name as name, f.package_evr as evr,
        f.package_version as version, f.package_release as release, f.package_arch as arch,
        f.package_source as source_name, f.package_source_version as source_version,
        f.valid_from, f.valid_to
      from host_facts f
      where f.host_id = any(${hostIds}::uuid[]) and f.kind = 'package' ${validity}
    )
    select he.host_id, he.ecosystem, ap.advisory_id, ap.name as advisory_package, ap.affected,
      hp.key, hp.name, hp.evr, hp.version, hp.release, hp.arch, hp.source_name,
      hp.source_version, hp.valid_from, hp.valid_to
    from he
    join hp on hp.host_id = he.host_id
    join advisory_packages ap on ap.ecosystem = he.ecosystem
      and ap.name = case when he.names_source then hp.source_name else hp.name end
      ${advisoryFilter}
    join advisories a on a.id = ap.advisory_id and a.withdrawn is null
    order by he.host_id, ap.advisory_id, hp.key, hp.valid_from`;
  return rows.map((r) => ({
    hostId: r.host_id,
    ecosystem: r.ecosystem,
    advisoryId: r.advisory_id,
    advisoryPackage: r.advisory_package,
    affected: r.affected,
    key: r.key,
    name: r.name,
    evr: r.evr,
    version: r.version,
    release: r.release,
    arch: r.arch,
    sourceName: r.source_name,
    sourceVersion: r.source_version,
    validFrom: r.valid_from,
    validTo: r.valid_to,
  }));
}

/** One affected[] entry of a (not withdrawn) advisory. */
export interface AdvisoryEntry {
  advisoryId: string;
  idx: number;
  ecosystem: string;
  name: string;
  affected: OsvAffected;
  severity: Severity;
}

/**
 * The affected[] entries of the advisories given, or of every advisory in the ecosystems
 * given whose package name some installed package version in the vulnerability index bears.
 */
export async function advisoryEntries(
  sql: Queries,
  scope: { advisoryIds: readonly string[] } | { ecosystems: readonly string[] },
): Promise<AdvisoryEntry[]> {
  const where =
    'advisoryIds' in scope
      ? sql`ap.advisory_id = any(${scope.advisoryIds as string[]}::text[])`
      : sql`ap.ecosystem = any(${scope.ecosystems as string[]}::text[])
          and (exists (select from vuln_package_versions v where v.source_name = ap.name)
            or exists (select from vuln_package_versions v where v.name = ap.name))`;
  const rows = await sql<
    {
      advisory_id: string;
      idx: number;
      ecosystem: string;
      name: string;
      affected: OsvAffected;
      severity: Severity;
    }[]
  >`
    select ap.advisory_id, ap.idx, ap.ecosystem, ap.name, ap.affected, a.severity
    from advisory_packages ap
    join advisories a on a.id = ap.advisory_id and a.withdrawn is null
    where ${where}
    order by ap.advisory_id, ap.idx`;
  return rows.map((r) => ({
    advisoryId: r.advisory_id,
    idx: r.idx,
    ecosystem: r.ecosystem,
    name: r.name,
    affected: r.affected,
    severity: r.severity,
  }));
}

/** How an ecosystem's advisories name packages: by source package or by binary package. */
export type NamedBy = 'source' | 'binary';

/** Distinct current versions of packages: source versions by source name, evr by binary name. */
export async function installedVersions(
  sql: Queries,
  names: { source: readonly string[]; binary: readonly string[] },
): Promise<{ by: NamedBy; name: string; version: string }[]> {
  // Index-only scans (migrations 008, 032); a source's rows are its binaries named otherwise
  // (source index) and the one named like it (name index).
  const source = names.source as string[];
  const rows = await sql<{ by: NamedBy; name: string; version: string }[]>`
    select 'source' as by, name, version from (
      select package_source as name, package_source_version as version from host_facts
      where kind = 'package' and valid_to is null and package_source = any(${source}::text[])
        and package_source <> package_name
      union all
      select package_name, package_source_version from host_facts
      where kind = 'package' and valid_to is null and package_name = any(${source}::text[])
        and package_source = package_name
    ) s
    where version is not null
    group by name, version
    union all
    select 'binary' as by, package_name as name, package_evr as version
    from host_facts
    where kind = 'package' and valid_to is null
      and package_name = any(${names.binary as string[]}::text[])
    group by package_name, package_evr`;
  return rows;
}

/** An advisory's package at a version found affected, in one ecosystem. */
export interface AffectedVersion {
  advisoryId: string;
  ecosystem: string;
  by: NamedBy;
  name: string;
  version: string;
}

export interface AffectedPackageRow {
  advisoryId: string;
  ecosystem: string;
  hostId: string;
  hostName: string;
  kernelRelease: string | null;
  key: string;
  name: string;
  arch: string;
  evr: string;
  version: string;
  release: string | null;
  sourceName: string | null;
  sourceVersion: string | null;
  validFrom: Date;
  /** The ecosystem's position among the host's (Ubuntu:22.04:LTS before its Pro stream). */
  ecosystemRank: number;
}

/**
 * The current package rows at the affected versions, on the hosts the vulnerability index
 * places in the version's ecosystem (with the host's name, and its running kernel as the index
 * has it), in no particular order: the caller sorts them (cheaper in JS than in SQL here).
 */
export async function affectedPackageRows(
  sql: Queries,
  versions: readonly AffectedVersion[],
): Promise<AffectedPackageRow[]> {
  if (versions.length === 0) return [];
  const column = <K extends keyof AffectedVersion>(k: K) => versions.map((v) => v[k]);
  const rows = await sql<
    {
      /** The version's position in `versions` (its advisory and ecosystem are not sent back). */
      at: number;
      host_id: string;
      host_name: string;
      kernel_release: string | null;
      key: string;
      name: string;
      arch: string;
      evr: string;
      version: string;
      release: string | null;
      source_name: string | null;
      source_version: string | null;
      valid_from: Date;
      ecosystem_rank: number;
    }[]
  >`
    with t as (
      select * from unnest(${column('advisoryId')}::text[], ${column('ecosystem')}::text[],
        ${column('by')}::text[], ${column('name')}::text[], ${column('version')}::text[])
        with ordinality as t(advisory_id, ecosystem, by, name, version, at)
    ), rows as (
      -- Index-only scans: the indexes hold every field (migrations 008, 032). A source's rows are
      -- its binaries named otherwise (source index) and the one named like it (name index).
      select t.at, t.ecosystem, f.host_id, f.key, f.package_name, f.package_arch,
        f.package_evr, f.package_version, f.package_release, f.package_source,
        f.package_source_version, f.valid_from
      from t join host_facts f on f.package_source = t.name
        and f.package_source_version = t.version and f.kind = 'package' and f.valid_to is null
        and f.package_source <> f.package_name
      where t.by = 'source'
      union all
      select t.at, t.ecosystem, f.host_id, f.key, f.package_name, f.package_arch,
        f.package_evr, f.package_version, f.package_release, f.package_source,
        f.package_source_version, f.valid_from
      from t join host_facts f on f.package_name = t.name and f.package_source = t.name
        and f.package_source_version = t.version and f.kind = 'package' and f.valid_to is null
      where t.by = 'source'
      union all
      select t.at, t.ecosystem, f.host_id, f.key, f.package_name, f.package_arch,
        f.package_evr, f.package_version, f.package_release, f.package_source,
        f.package_source_version, f.valid_from
      from t join host_facts f on f.package_name = t.name
        and f.package_evr = t.version and f.kind = 'package' and f.valid_to is null
      where t.by = 'binary'
    )
    select r.at::int - 1 as at, r.host_id, h.name as host_name, s.kernel_release, r.key,
      r.package_name as name, r.package_arch as arch, r.package_evr as evr,
      r.package_version as version, r.package_release as release,
      r.package_source as source_name, r.package_source_version as source_version,
      r.valid_from, array_position(s.ecosystems, r.ecosystem) as ecosystem_rank
    from rows r
    join vuln_hosts s on s.host_id = r.host_id and s.supported
      and r.ecosystem = any(s.ecosystems)
    join hosts h on h.id = r.host_id`;
  return rows.map((r) => {
    const version = versions[r.at] as AffectedVersion;
    return {
      advisoryId: version.advisoryId,
      ecosystem: version.ecosystem,
      hostId: r.host_id,
      hostName: r.host_name,
      kernelRelease: r.kernel_release,
      key: r.key,
      name: r.name,
      arch: r.arch,
      evr: r.evr,
      version: r.version,
      release: r.release,
      sourceName: r.source_name,
      sourceVersion: r.source_version,
      validFrom: r.valid_from,
      ecosystemRank: r.ecosystem_rank,
    };
  });
}

/** Host names by id (unknown ids absent). */
export async function hostNames(sql: Sql, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await sql<{ id: string; name: string }[]>`
    select id, name from hosts where id = any(${ids as string[]}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.name]));
}
