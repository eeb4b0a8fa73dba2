// The fleet summary's raw material, one row per selected host: its current os fact's
// identity, its facts interval, its latest finished probes, and the per-collector outcomes of
// its latest finished facts probe. Classifying (reachability, coverage) is the caller's job.
// At 10,000 hosts every per-host read counts: the os fields come from an index alone.
import type { Sql } from './client.ts';
import { hostFilterSql, withoutJit } from './fleet-queries.ts';
import type { HostFilter } from './hosts.ts';
import type { ProbeStatus } from './probes.ts';

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

/** Per selected host: its os fields, latest finished probes and last facts probe's outcomes. */
function perHost(sql: Sql, filter: HostFilter, recent: number) {
  // The os fields come from an index alone (migration 008), the latest finished probes from one
  // ordered index probe per host; the latest facts probe is looked up apart (an index of facts
  // probes only, migration 032) only when it is not among those.
  return sql`
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
    where true ${hostFilterSql(sql, filter)}`;
}

export async function summaryHostRows(
  sql: Sql,
  filter: HostFilter,
  recent: number,
): Promise<SummaryHostRow[]> {
  const rows = await withoutJit(
    sql,
    (tx) =>
      tx<
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
      >`${perHost(sql, filter, recent)} order by h.id`,
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

/**
 * What counting needs per selected host: its latest finished probe and the collector statuses
 * of its latest facts probe, from host_probe_state (migration 033, kept by a trigger as probes
 * are recorded), and whether its last `recent` probes all failed — read from the probe log,
 * only for a host whose latest probe failed.
 */
function countedPerHost(sql: Sql, filter: HostFilter, recent: number) {
  return sql`
    select h.facts_interval_s, os.os_id, os.os_version_id, os.os_kernel_release,
      os.os_reboot_required, s.last_status, s.last_finished_at,
      case when s.last_status in ('failed', 'timeout') then (
        select count(*) = ${recent} and bool_and(r.status in ('failed', 'timeout'))
        from (
          select status from intel_probes
          where host_id = h.id and status <> 'running'
          order by started_at desc, id desc limit ${recent}
        ) r
      ) else false end as unreachable,
      s.facts_collectors as collectors
    from hosts h
    left join host_facts os on os.host_id = h.id and os.kind = 'os' and os.valid_to is null
    left join host_probe_state s on s.host_id = h.id
    where true ${hostFilterSql(sql, filter)}`;
}

export interface FleetSummaryCounts {
  hosts: number;
  os: { id: string | null; versionId: string | null; hosts: number }[];
  kernels: { kernelRelease: string | null; hosts: number }[];
  reachability: { ok: number; stale: number; unreachable: number; neverProbed: number };
  collectors: { name: string; ok: number; hosts: number }[];
  rebootRequired: number;
}

export interface SummaryRules {
  /** Probes looked at; that many failed or timed out in a row make a host unreachable. */
  recent: number;
  /** The facts interval of hosts without their own. */
  defaultFactsIntervalS: number;
  now: Date;
}

/**
 * The fleet summary counted in SQL (groups in no particular order): 10,000 hosts make ten
 * thousand rows that would otherwise be sent and counted in JS. Reachability, as http/fleet/
 * summary.ts classifies a host row: never probed (no finished probe), unreachable (the last
 * `recent` probes all failed or timed out), ok (the last one neither, within twice the facts
 * interval), else stale.
 */
export async function fleetSummaryCounts(
  sql: Sql,
  filter: HostFilter,
  rules: SummaryRules,
): Promise<FleetSummaryCounts> {
  const [row] = await withoutJit(
    sql,
    (tx) =>
      tx<
        {
          hosts: number;
          os: FleetSummaryCounts['os'];
          kernels: FleetSummaryCounts['kernels'];
          reachability: Partial<FleetSummaryCounts['reachability']> | null;
          collectors: FleetSummaryCounts['collectors'];
          reboot_required: number;
        }[]
      >`
    with classified as materialized (
      select os_id, os_version_id, os_kernel_release, os_reboot_required, collectors,
        case
          when last_status is null or last_finished_at is null then 'neverProbed'
          when unreachable then 'unreachable'
          when last_status not in ('failed', 'timeout')
            and ${rules.now}::timestamptz - last_finished_at
              <= 2 * coalesce(facts_interval_s, ${rules.defaultFactsIntervalS})
                * interval '1 second' then 'ok'
          else 'stale'
        end as reach
      from (${countedPerHost(sql, filter, rules.recent)}) hosts
    )
    select
      (select count(*) from classified)::int as hosts,
      (select coalesce(jsonb_agg(jsonb_build_object('id', os_id, 'versionId', os_version_id,
          'hosts', n)), '[]')
        from (select os_id, os_version_id, count(*)::int as n from classified group by 1, 2) g)
        as os,
      (select coalesce(jsonb_agg(jsonb_build_object('kernelRelease', os_kernel_release,
          'hosts', n)), '[]')
        from (select os_kernel_release, count(*)::int as n from classified group by 1) g)
        as kernels,
      (select jsonb_object_agg(reach, n)
        from (select reach, count(*)::int as n from classified group by 1) g) as reachability,
      (select coalesce(jsonb_agg(jsonb_build_object('name', name, 'ok', ok, 'hosts', n)), '[]')
        from (
          select c.key as name, count(*) filter (where c.value = 'ok')::int as ok,
            count(*)::int as n
          from classified, jsonb_each_text(classified.collectors) as c
          group by 1
        ) g) as collectors,
      (select count(*) filter (where os_reboot_required) from classified)::int
        as reboot_required`,
  );
  return {
    hosts: row?.hosts ?? 0,
    os: row?.os ?? [],
    kernels: row?.kernels ?? [],
    reachability: { ok: 0, stale: 0, unreachable: 0, neverProbed: 0, ...row?.reachability },
    collectors: row?.collectors ?? [],
    rebootRequired: row?.reboot_required ?? 0,
  };
}
