// Which hosts an advisory affects, now, at an instant, or over the facts history.
//
// A host is affected when its os-release maps to the advisory's ecosystem (ecosystemsForHost),
// it has a package the advisory names (binary, or source where the ecosystem names source
// packages: candidateRows does that join in SQL), and the installed version is in an affected
// range (isAffected, in JS). The version compared is the one the advisory speaks of: the
// SOURCE version for source-named ecosystems (a binNMU `+b1` or a separately versioned binary
// is not it), the full EVR (with epoch) for rpm.
//
// Kernels: only the running kernel exposes the host. A vulnerable kernel package that is
// installed but not running is still reported, flagged `kernel: 'not-running'`, and a host
// whose only vulnerable packages are such kernels is counted apart (notRunningKernelOnly).
import type { Sql } from '../sql/client.ts';
import {
  type CandidateRow,
  candidateRows,
  type HostEcosystem,
  hostOsFacts,
  hostOsHistory,
  type Validity,
} from '../sql/vulnerabilities.ts';
import { ecosystemsForHost, type HostOsRelease } from './ecosystems.ts';
import { isAffected } from './match.ts';
import type { VersionScheme } from './version-scheme.ts';

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

export interface HostScope {
  hostId: string;
  supported: boolean;
  /** Why the host cannot be matched (no os fact, a distribution without OSV data…). */
  reason: string | null;
  scheme: VersionScheme | null;
  kernelRelease: string | null;
}

interface OsValue extends HostOsRelease {
  kernelRelease?: string;
}

/** The ecosystems of each host from its os fact (current, or as of `at`). */
export async function hostScopes(
  sql: Sql,
  options: { hostIds?: readonly string[]; at?: Date } = {},
): Promise<{ scopes: Map<string, HostScope>; ecosystems: HostEcosystem[] }> {
  const scopes = new Map<string, HostScope>();
  const ecosystems: HostEcosystem[] = [];
  for (const id of options.hostIds ?? []) {
    scopes.set(id, {
      hostId: id,
      supported: false,
      reason: 'no os fact',
      scheme: null,
      kernelRelease: null,
    });
  }
  for (const row of await hostOsFacts(sql, options)) {
    const os = row.value as unknown as OsValue;
    const mapped = ecosystemsForHost(os);
    const kernelRelease = typeof os.kernelRelease === 'string' ? os.kernelRelease : null;
    if (!mapped.supported) {
      scopes.set(row.hostId, {
        hostId: row.hostId,
        supported: false,
        reason: mapped.reason,
        scheme: null,
        kernelRelease,
      });
      continue;
    }
    scopes.set(row.hostId, {
      hostId: row.hostId,
      supported: true,
      reason: null,
      scheme: mapped.scheme,
      kernelRelease,
    });
    for (const ecosystem of mapped.ecosystems) {
      ecosystems.push({ hostId: row.hostId, ecosystem, namesSource: mapped.namesSource });
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

/** The version an advisory's ranges are compared with. */
export function comparedVersion(
  namesSource: boolean,
  row: Pick<CandidateRow, 'evr' | 'sourceVersion'>,
): string {
  return namesSource ? (row.sourceVersion ?? row.evr) : row.evr;
}

/** Whether the candidate's version is affected; versions no scheme accepts count as not. */
export function candidateAffected(scope: HostScope, row: CandidateRow, namesSource: boolean) {
  if (!scope.scheme) return false;
  try {
    return isAffected(scope.scheme, comparedVersion(namesSource, row), row.affected);
  } catch {
    // An invalid version or a SEMVER range: never turned into an "affected" answer.
    return false;
  }
}

function matchedPackage(scope: HostScope, row: CandidateRow, namesSource: boolean) {
  const release = scope.scheme ? packageKernelRelease(scope.scheme, row) : null;
  const kernel: KernelState | null =
    release === null ? null : release === scope.kernelRelease ? 'running' : 'not-running';
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
    validTo: row.validTo,
  } satisfies MatchedPackage;
}

export interface CorrelateOptions {
  hostIds?: readonly string[];
  advisoryIds?: readonly string[];
  /** Evaluate the facts valid at this instant instead of the current ones. */
  asOf?: Date;
}

export interface Correlation {
  scopes: Map<string, HostScope>;
  matches: HostAdvisoryMatch[];
}

/** Every (host, advisory) with at least one affected package, by host then advisory. */
export async function correlate(sql: Sql, options: CorrelateOptions = {}): Promise<Correlation> {
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
    const pairKey = `${row.hostId}\u0000${row.advisoryId}`;
    let match = byPair.get(pairKey);
    if (!match) {
      match = {
        hostId: row.hostId,
        advisoryId: row.advisoryId,
        ecosystem: row.ecosystem,
        packages: [],
        notRunningKernelOnly: false,
      };
      byPair.set(pairKey, match);
    }
    // Two ecosystems of one host (Ubuntu:22.04:LTS and Ubuntu:Pro:22.04:LTS) may both name it.
    if (!match.packages.some((p) => p.key === row.key)) {
      match.packages.push(matchedPackage(scope, row, source));
    }
  }
  const matches = [...byPair.values()];
  for (const m of matches) {
    m.notRunningKernelOnly = m.packages.every((p) => p.kernel === 'not-running');
  }
  return { scopes, matches };
}

function sourceNamed(ecosystems: readonly HostEcosystem[]): Map<string, boolean> {
  return new Map(ecosystems.map((e) => [`${e.hostId}\u0000${e.ecosystem}`, e.namesSource]));
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
    const os = row.value as unknown as OsValue;
    const mapped = ecosystemsForHost(os);
    if (!mapped.supported) continue;
    const scope: HostScope = {
      hostId: row.hostId,
      supported: true,
      reason: null,
      scheme: mapped.scheme,
      kernelRelease: typeof os.kernelRelease === 'string' ? os.kernelRelease : null,
    };
    const list = spans.get(row.hostId) ?? [];
    spans.set(row.hostId, list);
    list.push({
      from: row.validFrom,
      to: row.validTo,
      scope,
      namesSource: mapped.namesSource,
      ecosystems: new Set(mapped.ecosystems),
    });
    for (const ecosystem of mapped.ecosystems) {
      const key = `${row.hostId}\u0000${ecosystem}`;
      wanted.set(key, { hostId: row.hostId, ecosystem, namesSource: mapped.namesSource });
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
