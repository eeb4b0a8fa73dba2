// The probe log: a probe is in intel_probes_running from its start, so that its id can be
// handed out at once (the API answers 202 with it) and the API shows it running; when it ends
// it moves to intel_probes (a hypertable under TimescaleDB) with its outcome — recorded by
// applyProbe (sql/facts.ts) with the probe's result, or by finishProbe when there is none
// (aborted, or ended by the host actor's own timeout). Listings read both tables.
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
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
    insert into intel_probes_running (id, host_id, type, reason, started_at)
    values (${id}, ${probe.hostId}, ${probe.type}, ${probe.reason ?? null}, ${startedAt})`;
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
    with running as (delete from intel_probes_running where id = ${probeId} returning *)
    insert into intel_probes (id, host_id, type, reason, started_at, finished_at, status,
                              collectors, bytes, error, error_code, fact_changes)
    select id, host_id, type, reason, started_at,
      greatest(started_at, ${end.finishedAt ?? new Date()}::timestamptz), ${end.status},
      ${JSON.stringify(end.collectors ?? {})}::text::jsonb, ${end.bytes ?? null},
      ${end.error ?? null}, ${end.errorCode ?? null}, 0
    from running
    returning id`;
  return rows.length > 0;
}

/**
 * The advisory-lock class of "a probe of host X is running": actors/probe-store.ts holds
 * pg_advisory_lock(PROBE_LOCK_CLASS, hashtext(host id)) on its own connection from before the
 * probe's running row is inserted until after it is completed, so a running row whose lock no
 * session holds belongs to a probe that can no longer finish.
 */
export const PROBE_LOCK_CLASS = 0x68697072;

/**
 * Closes running probes that can never finish — their runner died or lost its database
 * session (its host's probe lock is free) — as failed with error code `abandoned`. A probe
 * whose lock is held is left alone, whichever runner holds it, so every runner may call this
 * at any time. `startedBefore` and `hostIds` narrow it further. Returns how many were closed.
 */
export async function abandonRunningProbes(
  sql: Sql,
  options: { startedBefore?: Date; hostIds?: readonly string[] } = {},
): Promise<number> {
  const rows = await sql`
    with locked as materialized (${probeLocks(sql)}),
    running as (
      delete from intel_probes_running r
      where ${options.startedBefore ? sql`r.started_at < ${options.startedBefore}` : sql`true`}
        and ${options.hostIds ? sql`r.host_id = any(${[...options.hostIds]}::uuid[])` : sql`true`}
        and not exists (select from locked k where k.objid = ${lockKey(sql, sql`r.host_id`)})
      returning *
    )
    insert into intel_probes (id, host_id, type, reason, started_at, finished_at, status,
                              error, error_code, fact_changes)
    select id, host_id, type, reason, started_at, greatest(started_at, now()), 'failed',
      'the probe never finished (its runner stopped or lost the host)', 'abandoned', 0
    from running
    returning id`;
  return rows.length;
}

/** The hosts among `hostIds` whose probe lock some session (any runner) holds right now. */
export async function probesInFlight(sql: Sql, hostIds: readonly string[]): Promise<Set<string>> {
  if (hostIds.length === 0) return new Set();
  const rows = await sql<{ hostId: string }[]>`
    select h.id as "hostId" from unnest(${[...hostIds]}::uuid[]) as h(id)
    where exists (select from (${probeLocks(sql)}) k where k.objid = ${lockKey(sql, sql`h.id`)})`;
  return new Set(rows.map((r) => r.hostId));
}

/** The probe locks granted in this database, by pg_locks' objid (the second key). */
function probeLocks(sql: Sql) {
  return sql`
    select k.objid from pg_locks k
    where k.locktype = 'advisory' and k.granted and k.objsubid = 2
      and k.classid = ${PROBE_LOCK_CLASS}::bigint::oid
      and k.database = (select oid from pg_database where datname = current_database())`;
}

/** hashtext(host id) as pg_locks shows an int4 key: an unsigned oid. */
function lockKey(sql: Sql, hostId: postgres.Fragment) {
  return sql`(hashtext(${hostId}::text)::bigint & 4294967295)::oid`;
}

/** The probe was already recorded — closed as abandoned while it still ran. */
export class ProbeAlreadyRecordedError extends Error {
  override readonly name = 'ProbeAlreadyRecordedError';
}

/** What applyProbe records for a finished probe, in its transaction. */
export interface ProbeRecord {
  id: string;
  /**
   * Ignored, kept for callers written before running probes had their own table: a probe
   * startProbe began is found there by its id.
   */
  started?: boolean;
  hostId: string;
  type: ProbeKind;
  reason: ProbeReason | null;
  status: Exclude<ProbeStatus, 'running'>;
  /** Used when startProbe was not called; a started probe keeps its own start and reason. */
  startedAt: Date;
  finishedAt: Date;
  collectors: Record<string, ProbeCollectorOutcome>;
  bytes: number;
  error: string | null;
  errorCode: string | null;
  factChanges: number;
}

/**
 * Two CTEs, `probe_running` and `probe_recorded`, to put in a WITH list: they move the probe
 * out of intel_probes_running if it is there and insert its finished row — only when `gate`
 * (an SQL boolean) holds. Lets a caller record the probe in the statement that decides it.
 */
export function probeRecordCtes(
  sql: Sql | TransactionSql,
  p: ProbeRecord,
  gate: postgres.Fragment,
): postgres.Fragment {
  return sql`
    probe_running as (
      delete from intel_probes_running where id = ${p.id} and ${gate}
      returning reason, started_at
    ),
    probe_start as (
      select coalesce((select started_at from probe_running), ${p.startedAt}::timestamptz) as at,
        coalesce((select reason from probe_running), ${p.reason}::text) as reason
    ),
    probe_recorded as (
      insert into intel_probes (id, host_id, type, reason, started_at, finished_at, status,
                                collectors, bytes, error, error_code, fact_changes)
      select ${p.id}, ${p.hostId}, ${p.type}, s.reason, s.at,
        greatest(s.at, ${p.finishedAt}::timestamptz), ${p.status},
        ${JSON.stringify(p.collectors)}::text::jsonb, ${p.bytes}, ${p.error}, ${p.errorCode},
        ${p.factChanges}
      from probe_start s
      where ${gate}
        -- A probe not found running was either never started (recorded here at once) or
        -- closed as abandoned after its runner lost its session: then it is not recorded
        -- twice. Only evaluated when the running row is missing (short-circuit).
        and ((select count(*) from probe_running) > 0 or not exists (
          select from intel_probes e
          where e.host_id = ${p.hostId} and e.id = ${p.id}
            and e.started_at between ${p.startedAt}::timestamptz - interval '1 hour'
              and ${p.startedAt}::timestamptz + interval '1 minute'))
      returning id
    )`;
}

/** Records a finished probe; throws ProbeAlreadyRecordedError if it was closed meanwhile. */
export async function recordProbe(sql: Sql | TransactionSql, p: ProbeRecord): Promise<void> {
  const [row] = await sql<{ n: number }[]>`
    with ${probeRecordCtes(sql, p, sql`true`)} select count(*)::int as n from probe_recorded`;
  if (!row?.n) throw new ProbeAlreadyRecordedError(`probe ${p.id} was already recorded`);
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

/** Running and finished probes as one relation (columns of intel_probes). */
function allProbes(sql: Sql, where: postgres.Fragment) {
  return sql`
    select id, host_id, type, reason, 'running'::text as status, started_at,
      null::timestamptz as finished_at, '{}'::jsonb as collectors, null::bigint as bytes,
      null::text as error, null::text as error_code, null::int as fact_changes
    from intel_probes_running where ${where}
    union all
    select id, host_id, type, reason, status, started_at, finished_at, collectors, bytes,
      error, error_code, fact_changes
    from intel_probes where ${where}`;
}

export async function probeById(sql: Sql, id: string): Promise<ProbeRow | null> {
  if (!cursorIds.uuid.test(id)) return null;
  const [row] = await sql<ProbeDbRow[]>`
    select *, '' as cursor_at from (${allProbes(sql, sql`id = ${id}`)}) p limit 1`;
  return row ? toProbe(row) : null;
}

export interface ProbeListOptions {
  cursor?: string | null;
  limit?: number;
  status?: ProbeStatus;
  type?: ProbeKind;
}

/** A host's probes, running and finished, newest first. */
export async function probes(
  sql: Sql,
  hostId: string,
  options: ProbeListOptions = {},
): Promise<Page<ProbeRow>> {
  const limit = pageLimit(options.limit);
  const after = options.cursor ? decodeCursor('probes', options.cursor, cursorIds.uuid) : null;
  // The conditions go into both branches, so each is an ordered index scan of its table.
  const where = sql`host_id = ${hostId}
    ${after ? sql`and (started_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
    ${options.type ? sql`and type = ${options.type}` : sql``}`;
  const rows = await sql<ProbeDbRow[]>`
    select *, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from (${allProbes(sql, where)}) p
    where true ${options.status ? sql`and status = ${options.status}` : sql``}
    order by started_at desc, id desc
    limit ${limit + 1}`;
  return toPage(rows, limit, 'probes', (r) => ({ at: r.cursor_at, id: r.id }), toProbe);
}
