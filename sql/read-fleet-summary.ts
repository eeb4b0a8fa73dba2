// The fleet summary's raw material, one row per selected host: its current os fact's
// identity, its facts interval, its latest finished probes, and the per-collector outcomes of
// its latest finished facts probe. Classifying (reachability, coverage) is the caller's job.
import type { Sql } from './client.ts';
import type { ProbeStatus } from './probes.ts';
import type { HostFilter } from './hosts.ts';
import { hostFilterSql } from './fleet-queries.ts';

export interface SummaryHostRow {
  hostId: string;
  /** null: the fleet default. */
  factsIntervalS: number | null;
  osId: string | null;
  osVersionId: string | null;
  kernelRelease: string | null;
  rebootRequired: boolean | null;
  /** Statuses of the latest finished probes (any type), newest first, at most `recent`. */
  recentStatuses: Exclude<ProbeStatus, 'running'>[];
  lastFinishedAt: Date | null;
  /** collector → status, of the latest finished facts probe; null when none. */
  lastFactsCollectors: Record<string, { status: string }> | null;
}

export async function summaryHostRows(
  sql: Sql,
  filter: HostFilter,
  recent: number,
): Promise<SummaryHostRow[]> {
  const rows = await sql<
    {
      id: string;
      facts_interval_s: number | null;
      os: Record<string, unknown> | null;
      statuses: Exclude<ProbeStatus, 'running'>[];
      last_finished_at: Date | null;
      collectors: Record<string, { status: string }> | null;
    }[]
  >`
    select h.id, h.facts_interval_s,
      (select f.value from host_facts f
       where f.host_id = h.id and f.kind = 'os' and f.valid_to is null limit 1) as os,
      array(select p.status from intel_probes p
            where p.host_id = h.id and p.status <> 'running'
            order by p.started_at desc, p.id desc limit ${recent}) as statuses,
      (select p.finished_at from intel_probes p
       where p.host_id = h.id and p.status <> 'running'
       order by p.started_at desc, p.id desc limit 1) as last_finished_at,
      (select p.collectors from intel_probes p
       where p.host_id = h.id and p.type = 'facts' and p.status <> 'running'
       order by p.started_at desc, p.id desc limit 1) as collectors
    from hosts h
    where true ${hostFilterSql(sql, filter)}
    order by h.id`;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return rows.map((r) => ({
    hostId: r.id,
    factsIntervalS: r.facts_interval_s,
    osId: text(r.os?.id),
    osVersionId: text(r.os?.versionId),
    kernelRelease: text(r.os?.kernelRelease),
    rebootRequired: typeof r.os?.rebootRequired === 'boolean' ? r.os.rebootRequired : null,
    recentStatuses: r.statuses,
    lastFinishedAt: r.last_finished_at,
    lastFactsCollectors: r.collectors,
  }));
}
