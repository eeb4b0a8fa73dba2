// The SQL half of vulnerability matching: hosts' os facts, and the candidate (host package,
// advisory package) pairs whose ecosystem and name match. Whether a candidate's version is
// affected is decided in JS by vuln/match.ts with the scheme's own rules.
import type { OsvAffected } from '../vuln/osv.ts';
import type { Sql } from './client.ts';

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
      ? sql`and hp.valid_to is null`
      : v.mode === 'asOf'
        ? sql`and hp.valid_from <= ${v.at} and (hp.valid_to is null or hp.valid_to > ${v.at})`
        : sql``;
  const advisoryFilter = options.advisoryIds
    ? sql`and ap.advisory_id = any(${options.advisoryIds as string[]}::text[])`
    : sql``;
  // Two plain equality joins (source name, binary name) instead of one OR: each can use its
  // own index on host_packages (migration 003).
  const rows = await sql<CandidateDbRow[]>`
    with he as (
      -- postgres.js sends a JS boolean[] as one boolean: the flags travel as text.
      select host_id, ecosystem, names_source::boolean as names_source
      from unnest(${hosts.map((h) => h.hostId)}::uuid[], ${hosts.map((h) => h.ecosystem)}::text[],
        ${hosts.map((h) => String(h.namesSource))}::text[]) as t(host_id, ecosystem, names_source)
    ), wanted as (
      select he.host_id, he.ecosystem, he.names_source, ap.advisory_id, ap.name, ap.affected
      from he
      join advisory_packages ap on ap.ecosystem = he.ecosystem ${advisoryFilter}
      join advisories a on a.id = ap.advisory_id and a.withdrawn is null
    )
    select * from (
      select w.host_id, w.ecosystem, w.advisory_id, w.name as advisory_package, w.affected,
        hp.key, hp.name, hp.evr, hp.version, hp.release, hp.arch, hp.source_name,
        hp.source_version, hp.valid_from, hp.valid_to
      from wanted w
      join host_packages hp on hp.host_id = w.host_id and hp.source_name = w.name ${validity}
      where w.names_source
      union all
      select w.host_id, w.ecosystem, w.advisory_id, w.name as advisory_package, w.affected,
        hp.key, hp.name, hp.evr, hp.version, hp.release, hp.arch, hp.source_name,
        hp.source_version, hp.valid_from, hp.valid_to
      from wanted w
      join host_packages hp on hp.host_id = w.host_id and hp.name = w.name ${validity}
      where not w.names_source
    ) m
    order by host_id, advisory_id, key, valid_from`;
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

/** Host names by id (unknown ids absent). */
export async function hostNames(sql: Sql, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await sql<{ id: string; name: string }[]>`
    select id, name from hosts where id = any(${ids as string[]}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.name]));
}
