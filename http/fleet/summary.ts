// The fleet summary: counts by OS and kernel, reachability, collector coverage and pending
// reboots — from per-host rows (summarize, the console's), or counted in SQL and put in the
// same order here (summarizeCounts, the API's: at 10,000 hosts, no row per host travels).
import { DEFAULT_HOST_SETTINGS } from '../../actors/host-machine.ts';
import type { FleetSummaryCounts, SummaryHostRow } from '../../sql/read-fleet-summary.ts';

/** Consecutive failed probes that make a host unreachable (the actors' own threshold). */
export const UNREACHABLE_AFTER = DEFAULT_HOST_SETTINGS.unreachableAfter;
export const DEFAULT_FACTS_INTERVAL_S = DEFAULT_HOST_SETTINGS.factsIntervalMs / 1000;

export type Reachability = 'ok' | 'stale' | 'unreachable' | 'neverProbed';

export function reachability(row: SummaryHostRow, now: Date): Reachability {
  const [last] = row.recentStatuses;
  if (last === undefined || row.lastFinishedAt === null) return 'neverProbed';
  const failed = (s: string) => s === 'failed' || s === 'timeout';
  if (row.recentStatuses.length >= UNREACHABLE_AFTER && row.recentStatuses.every(failed)) {
    return 'unreachable';
  }
  const intervalMs = (row.factsIntervalS ?? DEFAULT_FACTS_INTERVAL_S) * 1000;
  const fresh = now.getTime() - row.lastFinishedAt.getTime() <= 2 * intervalMs;
  return !failed(last) && fresh ? 'ok' : 'stale';
}

/** Most hosts first, then by the group's key. */
function byHostsThenKey<K extends Record<string, string | null>>(
  a: { key: K; hosts: number },
  b: { key: K; hosts: number },
) {
  return b.hosts - a.hosts || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key));
}

function countBy<K extends Record<string, string | null>>(rows: K[]) {
  const counts = new Map<string, { key: K; hosts: number }>();
  for (const key of rows) {
    const id = JSON.stringify(key);
    const entry = counts.get(id) ?? { key, hosts: 0 };
    entry.hosts++;
    counts.set(id, entry);
  }
  return [...counts.values()].sort(byHostsThenKey).map(({ key, hosts }) => ({ ...key, hosts }));
}

/** Counts made in SQL (sql/read-fleet-summary.ts), in the order summarize gives. */
export function summarizeCounts(counts: FleetSummaryCounts) {
  return {
    hosts: counts.hosts,
    os: counts.os
      .map(({ id, versionId, hosts }) => ({ key: { id, versionId }, hosts }))
      .sort(byHostsThenKey)
      .map(({ key, hosts }) => ({ ...key, hosts })),
    kernels: counts.kernels
      .map(({ kernelRelease, hosts }) => ({ key: { kernelRelease }, hosts }))
      .sort(byHostsThenKey)
      .map(({ key, hosts }) => ({ ...key, hosts })),
    reachability: counts.reachability,
    collectors: [...counts.collectors].sort((a, b) => (a.name < b.name ? -1 : 1)),
    rebootRequired: counts.rebootRequired,
  };
}

export function summarize(rows: readonly SummaryHostRow[], now: Date) {
  const reach = { ok: 0, stale: 0, unreachable: 0, neverProbed: 0 };
  const coverage = new Map<string, { ok: number; hosts: number }>();
  for (const row of rows) {
    reach[reachability(row, now)]++;
    for (const [name, outcome] of Object.entries(row.lastFactsCollectors ?? {})) {
      const c = coverage.get(name) ?? { ok: 0, hosts: 0 };
      c.hosts++;
      if (outcome.status === 'ok') c.ok++;
      coverage.set(name, c);
    }
  }
  return {
    hosts: rows.length,
    os: countBy(rows.map((r) => ({ id: r.osId, versionId: r.osVersionId }))),
    kernels: countBy(rows.map((r) => ({ kernelRelease: r.kernelRelease }))),
    reachability: reach,
    collectors: [...coverage]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, c]) => ({ name, ...c })),
    rebootRequired: rows.filter((r) => r.rebootRequired === true).length,
  };
}
