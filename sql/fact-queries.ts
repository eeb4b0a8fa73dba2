// Reading facts: a host's current state, its state as of any instant, what each kind's
// baseline and last success were, and which hosts hold a given fact now.
import type { Sql } from './client.ts';

export interface FactRow {
  kind: string;
  key: string;
  value: unknown;
  /** When this version was first seen (the probe's time). */
  validFrom: Date;
  /** When it was seen changed or gone; null while current. */
  validTo: Date | null;
  firstProbeId: string;
}

type FactDbRow = {
  kind: string;
  key: string;
  value: unknown;
  valid_from: Date;
  valid_to: Date | null;
  first_probe_id: string;
};

const toFact = (r: FactDbRow): FactRow => ({
  kind: r.kind,
  key: r.key,
  value: r.value,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  firstProbeId: r.first_probe_id,
});

/** The host's current facts (of one kind, or all), ordered by kind and key. */
export async function currentFacts(
  sql: Sql,
  hostId: string,
  kind?: string,
  window?: FactWindow,
): Promise<FactRow[]> {
  const rows = await sql<FactDbRow[]>`
    select kind, key, value, valid_from, valid_to, first_probe_id
    from host_facts
    where host_id = ${hostId} and valid_to is null
      ${kind === undefined ? sql`` : sql`and kind = ${kind}`}
      ${windowed(sql, window)}`;
  return rows.map(toFact);
}

/** One page in (kind, key) order: rows after `after`, at most `limit`. */
export interface FactWindow {
  after?: readonly [kind: string, key: string] | undefined;
  limit: number;
}

// Code-point order (collate "C"), the order cursors are compared in, whatever the database's
// collation; without a window every row comes back, in the same order.
function windowed(sql: Sql, window: FactWindow | undefined) {
  const after = window?.after
    ? sql`and (kind collate "C", key collate "C") > (${window.after[0]}, ${window.after[1]})`
    : sql``;
  const limit = window ? sql`limit ${window.limit}` : sql``;
  return sql`${after} order by kind collate "C", key collate "C" ${limit}`;
}

/**
 * The host's facts as they were at `at`: each fact's version valid then. Closed history
 * older than the retention (400 days by default) is gone, so older instants are incomplete.
 */
export async function factsAsOf(
  sql: Sql,
  hostId: string,
  at: Date,
  kind?: string,
  window?: FactWindow,
): Promise<FactRow[]> {
  const rows = await sql<FactDbRow[]>`
    select kind, key, value, valid_from, valid_to, first_probe_id
    from host_facts
    where host_id = ${hostId}
      ${kind === undefined ? sql`` : sql`and kind = ${kind}`}
      and valid_from <= ${at} and (valid_to is null or valid_to > ${at})
      ${windowed(sql, window)}`;
  return rows.map(toFact);
}

export interface FactKindRow {
  kind: string;
  /** The first successful collection of the kind on this host: stored, not reported as added. */
  baselineAt: Date;
  baselineProbeId: string;
  lastSuccessAt: Date;
  lastProbeId: string;
  /** Current facts of the kind. */
  facts: number;
}

/** Per fact kind of the host: its baseline, last success and current fact count. */
export async function factKinds(sql: Sql, hostId: string): Promise<FactKindRow[]> {
  const rows = await sql<
    {
      kind: string;
      baseline_at: Date;
      baseline_probe_id: string;
      last_success_at: Date;
      last_probe_id: string;
      facts: number;
    }[]
  >`
    select k.kind, k.baseline_at, k.baseline_probe_id, k.last_success_at, k.last_probe_id,
      (select count(*) from host_facts f
       where f.host_id = k.host_id and f.kind = k.kind and f.valid_to is null)::int as facts
    from host_fact_kinds k
    where k.host_id = ${hostId}
    order by k.kind`;
  return rows.map((r) => ({
    kind: r.kind,
    baselineAt: r.baseline_at,
    baselineProbeId: r.baseline_probe_id,
    lastSuccessAt: r.last_success_at,
    lastProbeId: r.last_probe_id,
    facts: r.facts,
  }));
}

export interface FactHostRow {
  hostId: string;
  value: unknown;
  validFrom: Date;
}

/** Hosts that hold the fact (kind, key) now, e.g. a service, a listener, a local user. */
export async function hostsWithFact(sql: Sql, kind: string, key: string): Promise<FactHostRow[]> {
  const rows = await sql<{ host_id: string; value: unknown; valid_from: Date }[]>`
    select host_id, value, valid_from from host_facts
    where kind = ${kind} and key = ${key} and valid_to is null
    order by host_id`;
  return rows.map((r) => ({ hostId: r.host_id, value: r.value, validFrom: r.valid_from }));
}
