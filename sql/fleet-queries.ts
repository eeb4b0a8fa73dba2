// Fleet questions the read API asks beyond the storage modules: which hosts a label/group
// filter selects, which hosts hold a current service, listener or user fact, and the change
// feed restricted to the selected hosts. Each query takes the filter so that it is applied
// in SQL, before pagination.
import type { Sql, TransactionSql } from './client.ts';
import type { ChangeEntry, ChangeQuery } from './changes.ts';
import { cursorIds, decodeCursor, type Page, pageLimit, toPage } from './cursor.ts';
import type { HostFilter } from './hosts.ts';

/**
 * Runs fleet-wide reads with JIT compilation off. A plan visiting 10,000 hosts with an index
 * probe each is estimated above jit_above_cost, and compiling it (~70 ms measured here) costs
 * more than the whole query; these reads are many small steps, never long expression loops.
 */
export function withoutJit<T>(sql: Sql, read: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`set local jit = off`;
    return read(tx);
  }) as Promise<T>;
}

/** `and …` conditions on the hosts row aliased `h`; empty for an empty filter. */
export function hostFilterSql(sql: Sql, filter: HostFilter) {
  const labels = (filter.labels ?? []).reduce(
    (fragment, [key, value]) => sql`${fragment} and h.labels @> ${sql.json({ [key]: value })}`,
    sql``,
  );
  const groups = filter.groups?.length ? sql`and h.groups @> ${[...filter.groups]}::text[]` : sql``;
  return sql`${labels} ${groups}`;
}

export function isEmptyFilter(filter: HostFilter): boolean {
  return !filter.labels?.length && !filter.groups?.length;
}

/** id → name of every host the filter selects. */
export async function filteredHostNames(
  sql: Sql,
  filter: HostFilter,
): Promise<Map<string, string>> {
  const rows = await sql<{ id: string; name: string }[]>`
    select h.id, h.name from hosts h where true ${hostFilterSql(sql, filter)}`;
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface FactHostEntry {
  hostId: string;
  hostName: string;
  key: string;
  value: Record<string, unknown>;
  since: Date;
}

export type FactMatch =
  | { kind: 'service' | 'user'; keys: readonly string[] }
  | { kind: 'listener'; port: number; protocol?: string };

/** Current facts of one kind matching `match` on the selected hosts, by host name and key. */
export async function factHosts(
  sql: Sql,
  match: FactMatch,
  filter: HostFilter,
): Promise<FactHostEntry[]> {
  const where =
    match.kind === 'listener'
      ? sql`and f.value ->> 'port' = ${String(match.port)}
          ${match.protocol === undefined ? sql`` : sql`and f.value ->> 'protocol' = ${match.protocol}`}`
      : sql`and f.key = any(${[...match.keys]}::text[])`;
  const rows = await sql<
    {
      host_id: string;
      host_name: string;
      key: string;
      value: Record<string, unknown>;
      since: Date;
    }[]
  >`
    select f.host_id, h.name as host_name, f.key, f.value, f.valid_from as since
    from host_facts f join hosts h on h.id = f.host_id
    where f.kind = ${match.kind} and f.valid_to is null ${where} ${hostFilterSql(sql, filter)}
    order by h.name, f.host_id, f.key`;
  return rows.map((r) => ({
    hostId: r.host_id,
    hostName: r.host_name,
    key: r.key,
    value: r.value,
    since: r.since,
  }));
}

type ChangeDbRow = {
  id: string;
  host_id: string;
  kind: string;
  key: string | null;
  change: ChangeEntry['change'];
  at: Date;
  before: unknown;
  after: unknown;
  probe_id: string;
  cursor_at: string;
};

/**
 * The fleet change feed, newest first, of the hosts the (non-empty) filter selects; keyset
 * pagination on (at, id) like sql/changes.ts, under its own cursor scope.
 */
export async function filteredFleetChanges(
  sql: Sql,
  filter: HostFilter,
  q: Omit<ChangeQuery, 'order' | 'key'>,
): Promise<Page<ChangeEntry>> {
  const limit = pageLimit(q.limit);
  const scope = 'changes:fleet-filtered:desc';
  const after = q.cursor ? decodeCursor(scope, q.cursor, cursorIds.bigint) : null;
  const rows = await sql<ChangeDbRow[]>`
    select c.id::text as id, c.host_id, c.kind, c.key, c.change, c.at, c.before, c.after,
      c.probe_id,
      to_char(c.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from host_fact_changes c
    where c.host_id in (select h.id from hosts h where true ${hostFilterSql(sql, filter)})
      ${q.kind === undefined ? sql`` : sql`and c.kind = ${q.kind}`}
      ${q.changes === undefined ? sql`` : sql`and c.change = any(${[...q.changes]}::text[])`}
      ${q.since === undefined ? sql`` : sql`and c.at >= ${q.since}`}
      ${q.until === undefined ? sql`` : sql`and c.at < ${q.until}`}
      ${
        after === null
          ? sql``
          : sql`and (c.at, c.id) < (${after.at}::timestamptz, ${after.id}::bigint)`
      }
    -- Qualified: the bigint column, not the text alias (which would sort as text).
    order by c.at desc, c.id desc
    limit ${limit + 1}`;
  return toPage(
    rows,
    limit,
    scope,
    (r) => ({ at: r.cursor_at, id: r.id }),
    (r) => ({
      id: r.id,
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
