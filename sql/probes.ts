// The probe log (intel_probes): a row per probe, inserted as 'running' when the probe starts
// so that its id can be handed out at once (the API answers 202 with it), completed when it
// ends — by applyProbe (sql/facts.ts) with the probe's result, or by finishProbe when there is
// no result (aborted, or ended by the host actor's own timeout).
import { randomUUID } from 'node:crypto';
import type { CollectorStatus } from '../collectors/types.ts';
import type { Sql, TransactionSql } from './client.ts';
import { cursorIds, decodeCursor, type Page, pageLimit, toPage } from './cursor.ts';

export const probeStatuses = ['running', 'ok', 'partial', 'failed', 'timeout'] as const;
export type ProbeStatus = (typeof probeStatuses)[number];
export type ProbeKind = 'facts' | 'metrics';
export type ProbeReason = 'scheduled' | 'manual';

/** One collector's part of a probe, as the probe log keeps it. */
export interface ProbeCollectorOutcome {
  status: CollectorStatus;
  durationMs: number;
  error?: string;
  /** Facts the collector returned (after dropping repeated keys). */
  facts?: number;
  /** Facts dropped because an earlier fact of the same kind had the same key. */
  duplicates?: number;
  /** The facts were not applied: a later probe had already been applied (out of order). */
  stale?: boolean;
}

export interface ProbeRow {
  id: string;
  hostId: string;
  type: ProbeKind;
  reason: ProbeReason | null;
  status: ProbeStatus;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  collectors: Record<string, ProbeCollectorOutcome>;
  bytes: number | null;
  error: string | null;
  errorCode: string | null;
  /** Change-feed entries the probe wrote (a baseline counts its facts); null while running. */
  factChanges: number | null;
}

export interface ProbeHandle {
  id: string;
  startedAt: Date;
}

export interface StartProbe {
  /** A probe id promised earlier (an API caller got it with 202); random when absent. */
  id?: string;
  hostId: string;
  type: ProbeKind;
  reason?: ProbeReason;
  startedAt?: Date;
}

export async function startProbe(sql: Sql, probe: StartProbe): Promise<ProbeHandle> {
  const id = probe.id ?? randomUUID();
  const startedAt = probe.startedAt ?? new Date();
  await sql`
    insert into intel_probes (id, host_id, type, reason, started_at, status)
    values (${id}, ${probe.hostId}, ${probe.type}, ${probe.reason ?? null}, ${startedAt}, 'running')`;
  return { id, startedAt };
}

export interface ProbeEnd {
  status: Exclude<ProbeStatus, 'running'>;
  finishedAt?: Date;
  error?: string | null;
  errorCode?: string | null;
  bytes?: number | null;
  collectors?: Record<string, ProbeCollectorOutcome>;
}

/**
 * Completes a running probe without a result to apply (aborted, or timed out by the host
 * actor). false when there is no such running probe.
 */
export async function finishProbe(sql: Sql, probeId: string, end: ProbeEnd): Promise<boolean> {
  const rows = await sql`
    update intel_probes set
      status = ${end.status},
      finished_at = greatest(started_at, ${end.finishedAt ?? new Date()}::timestamptz),
      error = ${end.error ?? null},
      error_code = ${end.errorCode ?? null},
      bytes = ${end.bytes ?? null},
      collectors = ${JSON.stringify(end.collectors ?? {})}::text::jsonb,
      fact_changes = 0
    where id = ${probeId} and status = 'running'
    returning id`;
  return rows.length > 0;
}

/**
 * Marks probes still 'running' that started before `startedBefore` as failed: their runner
 * died or lost the host. Returns how many.
 */
export async function abandonRunningProbes(
  sql: Sql,
  options: { startedBefore: Date },
): Promise<number> {
  const rows = await sql`
    update intel_probes set
      status = 'failed', finished_at = greatest(started_at, now()),
      error = 'the probe never finished (its runner stopped or lost the host)',
      error_code = 'abandoned', fact_changes = 0
    where status = 'running' and started_at < ${options.startedBefore}
    returning id`;
  return rows.length;
}

/** What applyProbe records for a finished probe, in its transaction. */
export interface ProbeRecord {
  id: string;
  /** true: complete the row startProbe inserted; false: insert the whole row now. */
  started: boolean;
  hostId: string;
  type: ProbeKind;
  reason: ProbeReason | null;
  status: Exclude<ProbeStatus, 'running'>;
  startedAt: Date;
  finishedAt: Date;
  collectors: Record<string, ProbeCollectorOutcome>;
  bytes: number;
  error: string | null;
  errorCode: string | null;
  factChanges: number;
}

export async function recordProbe(sql: Sql | TransactionSql, p: ProbeRecord): Promise<void> {
  const collectors = JSON.stringify(p.collectors);
  if (p.started) {
    // The started row keeps its own start time; a row that is gone (deleted by retention
    // during a very long probe) is written again.
    const rows = await sql`
      update intel_probes set
        status = ${p.status}, finished_at = greatest(started_at, ${p.finishedAt}::timestamptz),
        collectors = ${collectors}::text::jsonb, bytes = ${p.bytes}, error = ${p.error},
        error_code = ${p.errorCode}, fact_changes = ${p.factChanges}
      where id = ${p.id}
      returning id`;
    if (rows.length > 0) return;
  }
  await sql`
    insert into intel_probes (id, host_id, type, reason, started_at, finished_at, status,
                              collectors, bytes, error, error_code, fact_changes)
    values (${p.id}, ${p.hostId}, ${p.type}, ${p.reason}, ${p.startedAt}, ${p.finishedAt},
            ${p.status}, ${collectors}::text::jsonb, ${p.bytes}, ${p.error}, ${p.errorCode}, ${p.factChanges})`;
}

type ProbeDbRow = {
  id: string;
  host_id: string;
  type: ProbeKind;
  reason: ProbeReason | null;
  status: ProbeStatus;
  started_at: Date;
  finished_at: Date | null;
  collectors: Record<string, ProbeCollectorOutcome>;
  bytes: bigint | null;
  error: string | null;
  error_code: string | null;
  fact_changes: number | null;
  cursor_at: string;
};

function toProbe(r: ProbeDbRow): ProbeRow {
  return {
    id: r.id,
    hostId: r.host_id,
    type: r.type,
    reason: r.reason,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
    collectors: r.collectors,
    bytes: r.bytes === null ? null : Number(r.bytes),
    error: r.error,
    errorCode: r.error_code,
    factChanges: r.fact_changes,
  };
}

export async function probeById(sql: Sql, id: string): Promise<ProbeRow | null> {
  if (!cursorIds.uuid.test(id)) return null;
  const [row] = await sql<ProbeDbRow[]>`
    select *, '' as cursor_at from intel_probes where id = ${id} limit 1`;
  return row ? toProbe(row) : null;
}

export interface ProbeListOptions {
  cursor?: string | null;
  limit?: number;
  status?: ProbeStatus;
  type?: ProbeKind;
}

/** A host's probes, newest first. */
export async function probes(
  sql: Sql,
  hostId: string,
  options: ProbeListOptions = {},
): Promise<Page<ProbeRow>> {
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeCursor('probes', options.cursor, cursorIds.uuid) : null;
  const rows = await sql<ProbeDbRow[]>`
    select *, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from intel_probes
    where host_id = ${hostId}
      ${after ? sql`and (started_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
      ${options.status ? sql`and status = ${options.status}` : sql``}
      ${options.type ? sql`and type = ${options.type}` : sql``}
    order by started_at desc, id desc
    limit ${limit + 1}`;
  return toPage(rows, limit, 'probes', (r) => ({ at: r.cursor_at, id: r.id }), toProbe);
}
