// The fleet summary's raw material, one row per selected host: its current os fact's
// identity, its facts interval, its latest finished probes, and the per-collector outcomes of
// its latest finished facts probe. Classifying (reachability, coverage) is the caller's job.
// At 10,000 hosts every per-host read counts: the os fields come from an index alone.
import type { Sql } from './client.ts';
import type { ProbeStatus } from './probes.ts';
import type { HostFilter } from './hosts.ts';
import { hostFilterSql, withoutJit } from './fleet-queries.ts';

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
  // Per host: its os fact from an index alone (migration 008), and its latest finished probes
  // in one ordered index probe; the latest facts probe is looked up apart only when it is
  // not among those.
  const rows = await withoutJit(
    sql,
    (tx) => tx<
      {
        id: string;
        facts_interval_s: number | null;
        os_id: string | null;
        os_version_id: string | null;
        os_kernel_release: string | null;
        os_reboot_required: boolean | null;
        statuses: Exclude<ProbeStatus, 'running'>[] | null;
        last_finished_at: Date | null;
        collectors: Record<string, { status: string }> | null;
      }[]
    >`
    select h.id, h.facts_interval_s, os.os_id, os.os_version_id, os.os_kernel_release,
      os.os_reboot_required, p.statuses, p.last_finished_at,
      coalesce(p.facts_collectors,
        (select f.collectors from intel_probes f
         where f.host_id = h.id and f.type = 'facts' and f.status <> 'running'
           and p.statuses is not null
         order by f.started_at desc, f.id desc limit 1)) as collectors
    from hosts h
    left join host_facts os on os.host_id = h.id and os.kind = 'os' and os.valid_to is null
    left join lateral (
      select array_agg(l.status order by l.started_at desc, l.id desc) as statuses,
        (array_agg(l.finished_at order by l.started_at desc, l.id desc))[1] as last_finished_at,
        (array_agg(l.collectors order by l.started_at desc, l.id desc)
          filter (where l.type = 'facts'))[1] as facts_collectors
      from (
        select status, finished_at, type, collectors, started_at, id from intel_probes
        where host_id = h.id and status <> 'running'
        order by started_at desc, id desc limit ${recent}
      ) l
    ) p on true
    where true ${hostFilterSql(sql, filter)}
    order by h.id`,
  );
  return rows.map((r) => ({
    hostId: r.id,
    factsIntervalS: r.facts_interval_s,
    osId: r.os_id,
    osVersionId: r.os_version_id,
    kernelRelease: r.os_kernel_release,
    rebootRequired: r.os_reboot_required,
    recentStatuses: r.statuses ?? [],
    lastFinishedAt: r.last_finished_at,
    lastFactsCollectors: r.collectors,
  }));
}
