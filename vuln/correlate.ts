// Which hosts an advisory affects, now, at an instant, or over the facts history.
//
// A host is affected when its os-release maps to the advisory's ecosystem (host-scope.ts),
// it has a package the advisory names (binary, or source where the ecosystem names source
// packages), and the installed version is in an affected range (isAffected, in JS). The version
// compared is the one the advisory speaks of: the SOURCE version for source-named ecosystems (a
// binNMU `+b1` or a separately versioned binary is not it), the full EVR (with epoch) for rpm.
//
// Two ways to the same answer:
//   host-scoped (hostIds, asOf, history): the hosts' package rows are joined to the advisories'
//     entries in SQL (candidateRows) and every candidate is compared;
//   advisory-scoped, now (advisoryMatches): the advisories' entries are few, the hosts many, so
//     each distinct installed version of a named package is compared once, and only the rows at
//     affected versions are read, on the hosts the vulnerability index (fleet-index.ts) places
//     in the entry's ecosystem. The whole fleet at once is fleet-correlation.ts.
//
// Kernels: only the running kernel exposes the host. A vulnerable kernel package that is
// installed but not running is still reported, flagged `kernel: 'not-running'`, and a host
// whose only vulnerable packages are such kernels is counted apart (notRunningKernelOnly).
import type { Sql } from '../sql/client.ts';
import type { Queries } from '../sql/vuln-index.ts';
import {
  type AffectedPackageRow,
  type AffectedVersion,
  advisoryEntries,
  affectedPackageRows,
  type CandidateRow,
  candidateRows,
  type HostEcosystem,
  hostOsFacts,
  hostOsHistory,
  installedVersions,
  type NamedBy,
  type Validity,
} from '../sql/vulnerabilities.ts';
import { parseOsvEcosystem } from './ecosystems.ts';
import { refreshVulnIndex } from './fleet-index.ts';
import { type HostScope, scopeFromOs } from './host-scope.ts';
import { isAffected } from './match.ts';
import type { OsvAffected } from './osv.ts';
import type { VersionScheme } from './version-scheme.ts';

export type { HostScope } from './host-scope.ts';

export type KernelState = 'running' | 'not-running';

export interface MatchedPackage {
  key: string;
  name: string;
  arch: string;
  evr: string;
  source: { name: string; version: string } | null;
  /** The version that was compared with the advisory's ranges. */
  comparedVersion: string;
  /** null: not a kernel package. */
  kernel: KernelState | null;
  validFrom: Date;
  validTo: Date | null;
}

export interface HostAdvisoryMatch {
  hostId: string;
  advisoryId: string;
  ecosystem: string;
  packages: MatchedPackage[];
  /** Every matched package is a kernel that is installed but not running. */
  notRunningKernelOnly: boolean;
}

/** The ecosystems of each host from its os fact (current, or as of `at`). */
export async function hostScopes(
  sql: Sql,
  options: { hostIds?: readonly string[]; at?: Date } = {},
): Promise<{ scopes: Map<string, HostScope>; ecosystems: HostEcosystem[] }> {
  const scopes = new Map<string, HostScope>();
  const ecosystems: HostEcosystem[] = [];
  for (const id of options.hostIds ?? []) scopes.set(id, scopeFromOs(id, null).scope);
  for (const row of await hostOsFacts(sql, options)) {
    const scoped = scopeFromOs(row.hostId, row.value);
    scopes.set(row.hostId, scoped.scope);
    for (const ecosystem of scoped.ecosystems) {
      ecosystems.push({ hostId: row.hostId, ecosystem, namesSource: scoped.namesSource });
    }
  }
  return { scopes, ecosystems };
}

// dnf's install-only kernel packages (see collectors/packages.ts): one per kernel version.
const RPM_KERNEL = /^kernel(-(uek|rt|64k|PAE|lt|ml|debug))?(-(core|modules(-core|-extra)?))?$/;
// Debian/Ubuntu name kernel images and modules after the kernel release (`uname -r`).
const DEB_KERNEL = /^linux-(?:image|modules)(?:-unsigned)?-(\d+\.\d+\S*)$/;

/** The kernel release (`uname -r`) a package installs, or null when it is not a kernel. */
export function packageKernelRelease(
  scheme: VersionScheme,
  pkg: { name: string; version: string; release: string | null; arch: string },
): string | null {
  if (scheme === 'deb') return DEB_KERNEL.exec(pkg.name)?.[1] ?? null;
  if (scheme === 'rpm' && RPM_KERNEL.test(pkg.name) && pkg.release !== null) {
    return `${pkg.version}-${pkg.release}.${pkg.arch}`;
  }
  return null;
}

/** Whether the package is a kernel other than the running one. */
export function kernelState(
  scheme: VersionScheme,
  pkg: { name: string; version: string; release: string | null; arch: string },
  runningRelease: string | null,
): KernelState | null {
  const release = packageKernelRelease(scheme, pkg);
  return release === null ? null : release === runningRelease ? 'running' : 'not-running';
}

/** The version an advisory's ranges are compared with. */
export function comparedVersion(
  namesSource: boolean,
  row: Pick<CandidateRow, 'evr' | 'sourceVersion'>,
): string {
  return namesSource ? (row.sourceVersion ?? row.evr) : row.evr;
}

/** Whether `version` is affected; versions no scheme accepts, SEMVER ranges count as not. */
export function versionAffected(
  scheme: VersionScheme,
  version: string,
  affected: OsvAffected,
): boolean {
  try {
    return isAffected(scheme, version, affected);
  } catch {
    // An invalid version or a SEMVER range: never turned into an "affected" answer.
    return false;
  }
}

/** Whether the candidate's version is affected; versions no scheme accepts count as not. */
export function candidateAffected(scope: HostScope, row: CandidateRow, namesSource: boolean) {
  if (!scope.scheme) return false;
  return versionAffected(scope.scheme, comparedVersion(namesSource, row), row.affected);
}

function matchedPackage(scope: HostScope, row: CandidateRow, namesSource: boolean) {
  const kernel = scope.scheme ? kernelState(scope.scheme, row, scope.kernelRelease) : null;
  return packageMatch(row, namesSource, kernel, row.validTo);
}

/** A package row as a match reports it, compared by source or binary version. */
function packageMatch(
  row: Pick<
    CandidateRow,
    'key' | 'name' | 'arch' | 'evr' | 'sourceName' | 'sourceVersion' | 'validFrom'
  >,
  namesSource: boolean,
  kernel: MatchedPackage['kernel'],
  validTo: Date | null,
): MatchedPackage {
  return {
    key: row.key,
    name: row.name,
    arch: row.arch,
    evr: row.evr,
    source:
      row.sourceName === null ? null : { name: row.sourceName, version: row.sourceVersion ?? '' },
    comparedVersion: comparedVersion(namesSource, row),
    kernel,
    validFrom: row.validFrom,
    validTo,
  };
}

export interface CorrelateOptions {
  hostIds?: readonly string[];
  advisoryIds?: readonly string[];
  /** Evaluate the facts valid at this instant instead of the current ones. */
  asOf?: Date;
}

export interface Correlation {
  /** The scopes of the hosts asked about (hostIds), or of the hosts matched. */
  scopes: Map<string, HostScope>;
  matches: HostAdvisoryMatch[];
}

/**
 * Every (host, advisory) with at least one affected package, by host then advisory. With
 * advisoryIds and neither hostIds nor asOf this is advisoryMatches; otherwise the hosts' rows
 * are compared (without hostIds: every host, in memory — for the whole fleet's counts use
 * fleetVulnerabilityCounts in fleet-correlation.ts).
 */
export async function correlate(sql: Sql, options: CorrelateOptions = {}): Promise<Correlation> {
  if (options.advisoryIds && !options.hostIds && !options.asOf) {
    const { matches, scopes } = await advisoryMatches(sql, options.advisoryIds);
    return { scopes, matches };
  }
  const { scopes, ecosystems } = await hostScopes(sql, {
    ...(options.hostIds ? { hostIds: options.hostIds } : {}),
    ...(options.asOf ? { at: options.asOf } : {}),
  });
  const validity: Validity = options.asOf
    ? { mode: 'asOf', at: options.asOf }
    : { mode: 'current' };
  const rows = await candidateRows(sql, ecosystems, {
    validity,
    ...(options.advisoryIds ? { advisoryIds: options.advisoryIds } : {}),
  });
  const namesSource = sourceNamed(ecosystems);
  const byPair = new Map<string, HostAdvisoryMatch>();
  for (const row of rows) {
    const scope = scopes.get(row.hostId);
    const source = namesSource.get(`${row.hostId}\u0000${row.ecosystem}`) ?? false;
    if (!scope || !candidateAffected(scope, row, source)) continue;
    addPackage(byPair, row, matchedPackage(scope, row, source));
  }
  return { scopes, matches: finish(byPair) };
}

/** Adds a package to the (host, advisory) match, unless its key is there already. */
function addPackage(
  byPair: Map<string, HostAdvisoryMatch>,
  row: { hostId: string; advisoryId: string; ecosystem: string },
  pkg: MatchedPackage,
) {
  const { hostId, advisoryId, ecosystem } = row;
  const pairKey = `${hostId}\u0000${advisoryId}`;
  let match = byPair.get(pairKey);
  if (!match) {
    match = { hostId, advisoryId, ecosystem, packages: [], notRunningKernelOnly: false };
    byPair.set(pairKey, match);
  }
  // Two ecosystems of one host (Ubuntu:22.04:LTS and Ubuntu:Pro:22.04:LTS) may both name it.
  if (!match.packages.some((p) => p.key === pkg.key)) match.packages.push(pkg);
}

function finish(byPair: Map<string, HostAdvisoryMatch>): HostAdvisoryMatch[] {
  const matches = [...byPair.values()];
  for (const m of matches) {
    m.notRunningKernelOnly = m.packages.every((p) => p.kernel === 'not-running');
  }
  return matches;
}

function sourceNamed(ecosystems: readonly HostEcosystem[]): Map<string, boolean> {
  return new Map(ecosystems.map((e) => [`${e.hostId}\u0000${e.ecosystem}`, e.namesSource]));
}

export interface AdvisoryMatches {
  /** By advisory, then host name (code-point order) and host id. */
  matches: HostAdvisoryMatch[];
  /** The matched hosts' scopes (from the vulnerability index). */
  scopes: Map<string, HostScope>;
  hostNames: Map<string, string>;
}

/**
 * The hosts the advisories affect now. Each entry's (ecosystem, package) has few distinct
 * installed versions however many hosts carry it: those are compared once each, and only the
 * package rows at affected versions are read.
 */
export async function advisoryMatches(
  sql: Sql,
  advisoryIds: readonly string[],
): Promise<AdvisoryMatches> {
  await refreshVulnIndex(sql, { parts: ['os'] });
  // One snapshot: the versions compared are those the rows are then read at.
  return sql.begin('isolation level repeatable read read only', (tx) =>
    matchesOf(tx, advisoryIds),
  ) as Promise<AdvisoryMatches>;
}

async function matchesOf(sql: Queries, advisoryIds: readonly string[]): Promise<AdvisoryMatches> {
  const entries = (await advisoryEntries(sql, { advisoryIds })).flatMap((entry) => {
    const parsed = parseOsvEcosystem(entry.ecosystem);
    if (!parsed.supported) return [];
    const by: NamedBy = parsed.namesSource ? 'source' : 'binary';
    return [{ ...entry, by, scheme: parsed.scheme }];
  });
  const names = (by: NamedBy) => [
    ...new Set(entries.filter((e) => e.by === by).map((e) => e.name)),
  ];
  const installed = await installedVersions(sql, {
    source: names('source'),
    binary: names('binary'),
  });
  const versionsOf = new Map<string, string[]>();
  for (const v of installed) {
    const key = `${v.by}\u0000${v.name}`;
    const list = versionsOf.get(key) ?? [];
    versionsOf.set(key, list);
    list.push(v.version);
  }
  const affected: AffectedVersion[] = [];
  for (const entry of entries) {
    for (const version of versionsOf.get(`${entry.by}\u0000${entry.name}`) ?? []) {
      if (versionAffected(entry.scheme, version, entry.affected)) {
        affected.push({
          advisoryId: entry.advisoryId,
          ecosystem: entry.ecosystem,
          by: entry.by,
          name: entry.name,
          version,
        });
      }
    }
  }
  const ecosystemOf = new Map(
    entries.map((e) => [e.ecosystem, { scheme: e.scheme, namesSource: e.by === 'source' }]),
  );
  const byPair = new Map<string, HostAdvisoryMatch>();
  const scopes = new Map<string, HostScope>();
  const hostNames = new Map<string, string>();
  // Matches by advisory, then host name in code-point order; within one, packages by key, and
  // the ecosystem is the first of the host's that names the first package (as correlate).
  const rows = (await affectedPackageRows(sql, affected)).sort(
    (a, b) =>
      compareText(a.advisoryId, b.advisoryId) ||
      compareText(a.hostName, b.hostName) ||
      compareText(a.hostId, b.hostId) ||
      compareText(a.key, b.key) ||
      a.ecosystemRank - b.ecosystemRank,
  );
  for (const row of rows) {
    const ecosystem = ecosystemOf.get(row.ecosystem);
    if (!ecosystem) continue;
    hostNames.set(row.hostId, row.hostName);
    scopes.set(row.hostId, {
      hostId: row.hostId,
      supported: true,
      reason: null,
      scheme: ecosystem.scheme,
      kernelRelease: row.kernelRelease,
    });
    addPackage(byPair, row, affectedPackage(row, ecosystem.scheme, ecosystem.namesSource));
  }
  return { matches: finish(byPair), scopes, hostNames };
}

/** Code-point order (UTF-16 code units; the same for every name outside the astral planes). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A matched package from a row at an affected version. */
function affectedPackage(
  row: AffectedPackageRow,
  scheme: VersionScheme,
  namesSource: boolean,
): MatchedPackage {
  return packageMatch(row, namesSource, kernelState(scheme, row, row.kernelRelease), null);
}

export interface ExposureWindow {
  /** When a vulnerable version was first installed (the fact's valid_from). */
  from: Date;
  /** When the fixed version was installed, the package removed, or the release changed. */
  to: Date | null;
  /** null: still affected. */
  endedBy: 'fixed' | 'removed' | 'release-changed' | null;
  /**
   * From when the host was both vulnerable and the advisory public (the later of `from` and
   * the advisory's `published`) to `to`; null while open. 0 when fixed before publication.
   */
  timeToRemediateMs: number | null;
}

export interface HostAdvisoryWindows {
  hostId: string;
  advisoryId: string;
  windows: ExposureWindow[];
}

type Span = { from: Date; to: Date | null };

/** An os fact version of a host, with what it says about matching. */
interface OsSpan extends Span {
  scope: HostScope;
  namesSource: boolean;
  ecosystems: ReadonlySet<string>;
}

/**
 * The intervals during which each (host, advisory) was affected, from the package and os
 * facts' history: a package version counts only while the host ran a release whose
 * ecosystem the advisory names (a release upgrade ends or starts a window).
 */
export async function exposureWindows(
  sql: Sql,
  options: { hostIds?: readonly string[]; advisoryIds?: readonly string[] } = {},
): Promise<HostAdvisoryWindows[]> {
  const spans = new Map<string, OsSpan[]>();
  const wanted = new Map<string, HostEcosystem>();
  for (const row of await hostOsHistory(sql, options.hostIds)) {
    const scoped = scopeFromOs(row.hostId, row.value);
    if (!scoped.scope.supported) continue;
    const list = spans.get(row.hostId) ?? [];
    spans.set(row.hostId, list);
    list.push({
      from: row.validFrom,
      to: row.validTo,
      scope: scoped.scope,
      namesSource: scoped.namesSource,
      ecosystems: new Set(scoped.ecosystems),
    });
    for (const ecosystem of scoped.ecosystems) {
      const key = `${row.hostId}\u0000${ecosystem}`;
      wanted.set(key, { hostId: row.hostId, ecosystem, namesSource: scoped.namesSource });
    }
  }
  const rows = await candidateRows(sql, [...wanted.values()], {
    validity: { mode: 'history' },
    ...(options.advisoryIds ? { advisoryIds: options.advisoryIds } : {}),
  });
  const published = await publishedDates(sql, [...new Set(rows.map((r) => r.advisoryId))]);
  const pairs = new Map<string, { hostId: string; advisoryId: string; affected: Span[] }>();
  const starts = new Map<string, Set<number>>();
  for (const row of rows) {
    const key = `${row.hostId}\u0000${row.advisoryId}`;
    const entry = pairs.get(key) ?? {
      hostId: row.hostId,
      advisoryId: row.advisoryId,
      affected: [],
    };
    pairs.set(key, entry);
    const seen = starts.get(key) ?? new Set<number>();
    starts.set(key, seen);
    seen.add(row.validFrom.getTime());
    for (const os of spans.get(row.hostId) ?? []) {
      if (!os.ecosystems.has(row.ecosystem)) continue;
      const span = intersect({ from: row.validFrom, to: row.validTo }, os);
      if (span && candidateAffected(os.scope, row, os.namesSource)) entry.affected.push(span);
    }
  }
  const osChanges = new Map<string, Set<number>>();
  for (const [hostId, list] of spans) {
    osChanges.set(hostId, new Set(list.flatMap((s) => (s.to ? [s.to.getTime()] : []))));
  }
  const result: HostAdvisoryWindows[] = [];
  for (const [key, { hostId, advisoryId, affected }] of pairs) {
    if (affected.length === 0) continue;
    const publishedAt = published.get(advisoryId) ?? null;
    result.push({
      hostId,
      advisoryId,
      windows: mergeIntervals(affected).map(({ from, to }) => {
        const start = Math.max(from.getTime(), publishedAt?.getTime() ?? from.getTime());
        return {
          from,
          to,
          endedBy: endedBy(to, starts.get(key), osChanges.get(hostId)),
          timeToRemediateMs: to === null ? null : Math.max(0, to.getTime() - start),
        };
      }),
    });
  }
  return result;
}

function endedBy(
  to: Date | null,
  packageStarts: ReadonlySet<number> | undefined,
  osChanges: ReadonlySet<number> | undefined,
): ExposureWindow['endedBy'] {
  if (to === null) return null;
  // A not-affected version of a named package taking over at `to` is the fix.
  if (packageStarts?.has(to.getTime())) return 'fixed';
  if (osChanges?.has(to.getTime())) return 'release-changed';
  return 'removed';
}

function intersect(a: Span, b: Span): Span | null {
  const from = a.from.getTime() >= b.from.getTime() ? a.from : b.from;
  const to =
    a.to === null ? b.to : b.to === null ? a.to : a.to.getTime() <= b.to.getTime() ? a.to : b.to;
  return to !== null && to.getTime() <= from.getTime() ? null : { from, to };
}

/** Union of half-open intervals [from, to), to null = open; touching intervals join. */
export function mergeIntervals(
  intervals: readonly { from: Date; to: Date | null }[],
): { from: Date; to: Date | null }[] {
  const sorted = [...intervals].sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: { from: Date; to: Date | null }[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last && (last.to === null || next.from.getTime() <= last.to.getTime())) {
      if (last.to !== null && (next.to === null || next.to.getTime() > last.to.getTime())) {
        last.to = next.to;
      }
      continue;
    }
    merged.push({ ...next });
  }
  return merged;
}

async function publishedDates(sql: Sql, ids: readonly string[]): Promise<Map<string, Date | null>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; published: Date | null }[]>`
    select id, published from advisories where id = any(${ids as string[]}::text[])`;
  return new Map(rows.map((r) => [r.id, r.published]));
}
