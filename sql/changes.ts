// The change feed, per host and fleet-wide: what was added, removed or changed, when, by
// which probe, with the old and new value. A kind's first collection is one 'baseline' entry
// (key null, after = {"facts": n}) rather than an 'added' per fact. Keyset-paginated on
// (at, id): one probe's changes share a timestamp, and the unique id breaks the tie.
import type { Sql } from './client.ts';
import { cursorIds, decodeCursor, type Page, pageLimit, toPage } from './cursor.ts';

export const changeTypes = ['baseline', 'added', 'removed', 'changed'] as const;
export type ChangeType = (typeof changeTypes)[number];

export interface ChangeEntry {
  /** Unique and stable (a bigint, as text). */
  id: string;
  hostId: string;
  kind: string;
  /** null for a baseline entry. */
  key: string | null;
  change: ChangeType;
  /** The probe's time. */
  at: Date;
  /** The value before (changed, removed); null otherwise. */
  before: unknown;
  /** The value after (added, changed); {"facts": n} for a baseline; null when removed. */
  after: unknown;
  probeId: string;
}

export interface ChangeQuery {
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  kind?: string;
  key?: string;
  /** Only these types (e.g. leave baselines out). */
  changes?: readonly ChangeType[];
  cursor?: string | null;
  limit?: number;
  /** 'desc' (default): newest first. 'asc': oldest first, to follow the feed. */
  order?: 'asc' | 'desc';
}

export function hostChanges(
  sql: Sql,
  hostId: string,
  query: ChangeQuery = {},
): Promise<Page<ChangeEntry>> {
  return listChanges(sql, hostId, query);
}

export function fleetChanges(sql: Sql, query: ChangeQuery = {}): Promise<Page<ChangeEntry>> {
  return listChanges(sql, null, query);
}

type ChangeDbRow = {
  change_id: string;
  host_id: string;
  kind: string;
  key: string | null;
  change: ChangeType;
  at: Date;
  before: unknown;
  after: unknown;
  probe_id: string;
  cursor_at: string;
};

async function listChanges(
  sql: Sql,
  hostId: string | null,
  q: ChangeQuery,
): Promise<Page<ChangeEntry>> {
  const limit = pageLimit(q.limit);
  // The scope keeps a host feed's cursor from being replayed on another listing.
  const scope = `changes:${hostId ?? 'fleet'}:${q.order ?? 'desc'}`;
  const after = q.cursor ? decodeCursor(scope, q.cursor, cursorIds.bigint) : null;
  const asc = q.order === 'asc';
  const rows = await sql<ChangeDbRow[]>`
    -- Not aliased id: ORDER BY would then sort the text, not the bigint the cursor compares.
    select id::text as change_id, host_id, kind, key, change, at, before, after, probe_id,
      to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from host_fact_changes
    where true
      ${hostId === null ? sql`` : sql`and host_id = ${hostId}`}
      ${q.kind === undefined ? sql`` : sql`and kind = ${q.kind}`}
      ${q.key === undefined ? sql`` : sql`and key = ${q.key}`}
      ${q.changes === undefined ? sql`` : sql`and change = any(${[...q.changes]}::text[])`}
      ${q.since === undefined ? sql`` : sql`and at >= ${q.since}`}
      ${q.until === undefined ? sql`` : sql`and at < ${q.until}`}
      ${
        after === null
          ? sql``
          : asc
            ? sql`and (at, id) > (${after.at}::timestamptz, ${after.id}::bigint)`
            : sql`and (at, id) < (${after.at}::timestamptz, ${after.id}::bigint)`
      }
    order by ${asc ? sql`at asc, id asc` : sql`at desc, id desc`}
    limit ${limit + 1}`;
  return toPage(
    rows,
    limit,
    scope,
    (r) => ({ at: r.cursor_at, id: r.change_id }),
    (r) => ({
      id: r.change_id,
      hostId: r.host_id,
      kind: r.kind,
      key: r.key,
      change: r.change,
      at: r.at,
      before: r.before,
      after: r.after,
      probeId: r.probe_id,
    }),
  );
}
