// Applying a probe: the probe record and every fact change it implies, in one transaction
// (or, when nothing changed, in one statement).
//
// Only kinds whose collector succeeded are touched; a failed, timed-out, needs-privilege or
// unsupported collector leaves its kinds exactly as they were. Per kind:
//   baseline   never collected on this host: the facts are stored, and the change feed gets
//              one 'baseline' entry instead of an 'added' per fact;
//   unchanged  the set hash equals host_fact_kinds.facts_hash: no fact row is read or written;
//   changed    (kind, key, value hash) triples are diffed in SQL with unnest + EXCEPT, and only
//              the differences are written: a changed fact closes its open row (valid_to =
//              probe time) and opens a new one, a removed one closes its row, an added one
//              opens a row, each with a change-feed entry;
//   stale      the kind already holds a later probe (probes applied out of order): skipped.
// Never INSERT … ON CONFLICT on facts: it locks and WAL-logs every row even when nothing
// changed (DESIGN §8).
import { randomUUID } from 'node:crypto';
import type { ProbeResult } from '../collectors/probe.ts';
import { collectors as registry } from '../collectors/registry.ts';
import type { Fact } from '../collectors/types.ts';
import type { Sql, TransactionSql } from './client.ts';
import {
  changedBuckets,
  FACT_BUCKETS,
  type FactSet,
  type HashedFact,
  hashFactSets,
  hashFacts,
} from './fact-hash.ts';
import {
  type ProbeCollectorOutcome,
  type ProbeReason,
  type ProbeRecord,
  probeRecordCtes,
  recordProbe,
} from './probes.ts';

export class FactKindError extends Error {
  override readonly name = 'FactKindError';
}

export interface ApplyProbeOptions {
  /** The id startProbe returned: that running probe is completed. Absent: a new id. */
  probeId?: string;
  reason?: ProbeReason;
  /** The fact kinds each collector owns; the collector registry by default. */
  collectorKinds?: Readonly<Record<string, readonly string[]>>;
}

export interface ApplyProbeResult {
  probeId: string;
  /** The probe's time: its finishedAt, when its facts become valid or stop being valid. */
  at: Date;
  added: number;
  removed: number;
  changed: number;
  /** Facts stored as the baseline of kinds collected for the first time. */
  baseline: number;
  /** host_facts rows inserted plus rows updated (closed, or re-hashed). */
  factRowsWritten: number;
  /** The kinds of the collectors that succeeded, by what became of them. */
  kinds: {
    baseline: string[];
    unchanged: string[];
    /** Set hash differed: diffed (possibly finding only a reordered value, no change). */
    changed: string[];
    stale: string[];
  };
}

/** Key of pg_advisory_xact_lock(int, int): "applying facts", distinct from other locks. */
const APPLY_LOCK_CLASS = 0x68696661;
const ALL_BUCKETS = Array.from({ length: FACT_BUCKETS }, (_, b) => b);

type KnownKind = { kind: string; last_success_at: Date; bucket_hashes: string | null };
type BucketWork = { set: FactSet; buckets: readonly number[] };

export async function applyProbe(
  sql: Sql,
  hostId: string,
  result: ProbeResult,
  options: ApplyProbeOptions = {},
): Promise<ApplyProbeResult> {
  const probeId = options.probeId ?? randomUUID();
  const at = result.finishedAt;
  const owned = kindsOf(result, options.collectorKinds ?? registryKinds());
  const sets = hashFactSets(
    owned.map((o) => o.kind),
    owned.flatMap((o) => o.facts),
  );
  const outcomes = collectorOutcomes(result, owned, sets);
  const summary: ApplyProbeResult = {
    probeId,
    at,
    added: 0,
    removed: 0,
    changed: 0,
    baseline: 0,
    factRowsWritten: 0,
    kinds: { baseline: [], unchanged: [], changed: [], stale: [] },
  };
  const record = (): ProbeRecord => ({
    id: probeId,
    hostId,
    type: result.type,
    reason: options.reason ?? null,
    status: result.outcome,
    startedAt: result.startedAt,
    finishedAt: at,
    collectors: outcomes,
    bytes: result.bytes,
    error: result.error ?? null,
    errorCode: result.errorCode ?? null,
    factChanges: summary.added + summary.removed + summary.changed + summary.baseline,
  });

  if (sets.length === 0) {
    await recordProbe(sql, record());
    return summary;
  }
  const confirmed = await confirmUnchanged(sql, hostId, at, sets, record());
  if (confirmed === 'all') {
    summary.kinds.unchanged.push(...sets.map((s) => s.kind));
    return summary;
  }
  summary.kinds.unchanged.push(...confirmed);
  const rest = sets.filter((s) => !confirmed.includes(s.kind));

  await sql.begin(async (tx) => {
    const [, known] = await Promise.all([
      tx`select pg_advisory_xact_lock(${APPLY_LOCK_CLASS}, hashtext(${hostId}::text))`,
      // Bucket hashes only travel for kinds whose set hash differs.
      tx<KnownKind[]>`
        select k.kind, k.last_success_at,
          case when k.facts_hash = i.hash then null else k.bucket_hashes end as bucket_hashes
        from host_fact_kinds k
        join unnest(${rest.map((s) => s.kind)}::text[], ${rest.map((s) => s.hash)}::text[])
          as i(kind, hash) on i.kind = k.kind
        where k.host_id = ${hostId}`,
    ]);
    const byKind = new Map(known.map((k) => [k.kind, k]));
    const applied: FactSet[] = [];
    const toDiff: BucketWork[] = [];
    for (const set of rest) {
      const previous = byKind.get(set.kind);
      if (previous && at.getTime() <= previous.last_success_at.getTime()) {
        summary.kinds.stale.push(set.kind);
        for (const o of owned) if (o.kind === set.kind) markStale(outcomes, o.collector);
        continue;
      }
      applied.push(set);
      if (!previous) {
        summary.kinds.baseline.push(set.kind);
        summary.baseline += set.facts.length;
        toDiff.push({ set, buckets: ALL_BUCKETS });
      } else if (previous.bucket_hashes === null) {
        summary.kinds.unchanged.push(set.kind);
      } else {
        summary.kinds.changed.push(set.kind);
        toDiff.push({ set, buckets: changedBuckets(set, previous.bucket_hashes) });
      }
    }
    if (toDiff.length > 0) {
      summary.factRowsWritten = await writeDifferences(tx, hostId, probeId, at, toDiff, summary);
    }
    await Promise.all([
      applied.length > 0 ? markKinds(tx, hostId, probeId, at, applied, summary) : null,
      recordProbe(tx, record()),
    ]);
  });
  return summary;
}

/**
 * The common case in one statement and one round trip, outside any transaction: each kind
 * whose set hash is the stored one gets its last success; when that is every kind, the probe
 * is recorded too ('all'). Otherwise returns the kinds confirmed, and the caller applies the
 * others. The statement takes the host's apply lock first (an initplan of the UPDATE), so a
 * row a concurrent apply changed is re-checked at its committed version.
 */
async function confirmUnchanged(
  sql: Sql,
  hostId: string,
  at: Date,
  sets: readonly FactSet[],
  probe: ProbeRecord,
): Promise<'all' | string[]> {
  const [row] = await sql<{ confirmed: string[]; recorded: number }[]>`
    with fast_lock as (
      select pg_advisory_xact_lock(${APPLY_LOCK_CLASS}, hashtext(${hostId}::text)) as locked
    ),
    confirmed as (
      update host_fact_kinds k set last_success_at = ${at}, last_probe_id = ${probe.id}
      from unnest(${sets.map((s) => s.kind)}::text[], ${sets.map((s) => s.hash)}::text[])
        as i(kind, facts_hash)
      where k.host_id = ${hostId} and k.kind = i.kind and k.facts_hash = i.facts_hash
        and k.last_success_at < ${at}
        and (select count(*) from fast_lock) = 1
      returning k.kind
    ),
    fast_gate as (select (select count(*) from confirmed) = ${sets.length} as ok),
    ${probeRecordCtes(sql, probe, sql`(select ok from fast_gate)`)}
    select array(select kind from confirmed) as confirmed,
      (select count(*)::int from probe_recorded) as recorded`;
  if (!row) return [];
  return row.recorded > 0 ? 'all' : row.confirmed;
}

/** Diff the given buckets against their open rows and write only what differs. */
async function writeDifferences(
  tx: TransactionSql,
  hostId: string,
  probeId: string,
  at: Date,
  work: readonly BucketWork[],
  summary: ApplyProbeResult,
): Promise<number> {
  const facts = work.flatMap((w) => hashFacts(w.set, w.buckets));
  const buckets = work.flatMap((w) => w.buckets.map((bucket) => ({ kind: w.set.kind, bucket })));
  const diff = await tx<{ side: 'gone' | 'fresh'; kind: string; key: string }[]>`
    with incoming as (
      select * from unnest(
        ${facts.map((f) => f.kind)}::text[],
        ${facts.map((f) => f.key)}::text[],
        ${facts.map((f) => f.hash)}::bigint[]
      ) as t(kind, key, hash)
    ),
    current as (
      -- One index range per bucket, whatever the statistics say (offset 0: not flattened).
      select f.kind, f.key, f.hash
      from unnest(${buckets.map((b) => b.kind)}::text[], ${buckets.map((b) => b.bucket)}::int[])
        as b(kind, bucket)
      cross join lateral (
        select c.kind, c.key, c.value_hash as hash from host_facts c
        where c.host_id = ${hostId} and c.valid_to is null
          and c.kind = b.kind and c.bucket = b.bucket
        offset 0
      ) f
    )
    select 'gone' as side, kind, key from (select * from current except select * from incoming) g
    union all
    select 'fresh' as side, kind, key from (select * from incoming except select * from current) f`;
  if (diff.length === 0) return 0;

  const byKey = new Map<string, HashedFact>(facts.map((f) => [`${f.kind}\u0000${f.key}`, f]));
  const fresh: HashedFact[] = [];
  const gone: { kind: string; key: string }[] = [];
  for (const row of diff) {
    if (row.side === 'gone') gone.push(row);
    else {
      const fact = byKey.get(`${row.kind}\u0000${row.key}`);
      if (fact) fresh.push(fact);
    }
  }
  // Values travel as one JSON document (parsed once by the server) and only for new versions.
  const freshJson = `[${fresh
    .map(
      (f) =>
        `{"kind":${JSON.stringify(f.kind)},"key":${JSON.stringify(f.key)},` +
        `"hash":${f.hash},"bucket":${f.bucket},"value":${f.json}}`,
    )
    .join(',')}]`;
  const baselineKinds = summary.kinds.baseline;
  // Rows are updated by id, and `not in` is a hashed subplan: plans that stay linear whatever
  // the planner guesses of the CTEs' sizes.
  const [counts] = await tx<
    {
      opened: number;
      closed: number;
      rehashed: number;
      added: number;
      removed: number;
      changed: number;
    }[]
  >`
    with fresh as (
      select * from jsonb_to_recordset(${freshJson}::text::jsonb)
        as t(kind text, key text, hash bigint, bucket smallint, value jsonb)
    ),
    gone as (
      select c.id, c.kind, c.key, c.value
      from unnest(${gone.map((g) => g.kind)}::text[], ${gone.map((g) => g.key)}::text[])
        as g(kind, key)
      cross join lateral (
        select id, kind, key, value from host_facts
        where host_id = ${hostId} and valid_to is null and kind = g.kind and key = g.key
        offset 0
      ) c
    ),
    -- Same value, different text (a collector that now orders its fields differently): not a
    -- change, only the stored hash is brought up to date.
    same as (
      select g.id, f.kind, f.key, f.hash
      from gone g join fresh f on f.kind = g.kind and f.key = g.key
      where g.value = f.value
    ),
    rehashed as (
      update host_facts c set value_hash = s.hash from same s where c.id = s.id
      returning c.id
    ),
    closed as (
      update host_facts c set valid_to = ${at}, closed_probe_id = ${probeId}
      where c.id in (select id from gone) and c.id not in (select id from same)
      returning c.kind, c.key, c.value
    ),
    opened as (
      insert into host_facts
        (host_id, kind, key, value, value_hash, bucket, valid_from, first_probe_id)
      select ${hostId}, f.kind, f.key, f.value, f.hash, f.bucket, ${at}, ${probeId} from fresh f
      where (f.kind, f.key) not in (select kind, key from same)
        -- Evaluated before the first insert, this makes the closing update run first: the
        -- unique index allows one open row per key.
        and (select count(*) from closed) >= 0
      returning kind, key, value
    ),
    logged as (
      insert into host_fact_changes (host_id, kind, key, change, at, probe_id, before, after)
      select ${hostId}, coalesce(o.kind, c.kind), coalesce(o.key, c.key),
        case when c.key is null then 'added' when o.key is null then 'removed' else 'changed' end,
        ${at}, ${probeId}, c.value, o.value
      from opened o full join closed c on c.kind = o.kind and c.key = o.key
      where coalesce(o.kind, c.kind) <> all(${baselineKinds}::text[])
      returning change
    )
    select
      (select count(*) from opened)::int as opened,
      (select count(*) from closed)::int as closed,
      (select count(*) from rehashed)::int as rehashed,
      (select count(*) from logged where change = 'added')::int as added,
      (select count(*) from logged where change = 'removed')::int as removed,
      (select count(*) from logged where change = 'changed')::int as changed`;
  if (!counts) return 0;
  summary.added += counts.added;
  summary.removed += counts.removed;
  summary.changed += counts.changed;
  return counts.opened + counts.closed + counts.rehashed;
}

/** Record per kind the last success, its set hash, and for a new kind its baseline entry. */
async function markKinds(
  tx: TransactionSql,
  hostId: string,
  probeId: string,
  at: Date,
  applied: readonly FactSet[],
  summary: ApplyProbeResult,
) {
  const baseline = applied.filter((s) => summary.kinds.baseline.includes(s.kind));
  await tx`
    with kinds as (
      insert into host_fact_kinds (host_id, kind, baseline_probe_id, baseline_at,
                                   last_success_at, last_probe_id, facts_hash, bucket_hashes)
      select ${hostId}, kind, ${probeId}, ${at}, ${at}, ${probeId}, facts_hash, bucket_hashes
      from unnest(
        ${applied.map((s) => s.kind)}::text[],
        ${applied.map((s) => s.hash)}::text[],
        ${applied.map((s) => s.bucketHashes)}::text[]
      ) as t(kind, facts_hash, bucket_hashes)
      on conflict (host_id, kind) do update set
        last_success_at = excluded.last_success_at,
        last_probe_id = excluded.last_probe_id,
        facts_hash = excluded.facts_hash,
        bucket_hashes = excluded.bucket_hashes
    )
    insert into host_fact_changes (host_id, kind, key, change, at, probe_id, before, after)
    select ${hostId}, kind, null, 'baseline', ${at}, ${probeId}, null,
      jsonb_build_object('facts', facts)
    from unnest(
      ${baseline.map((s) => s.kind)}::text[],
      ${baseline.map((s) => s.facts.length)}::int[]
    )
      as t(kind, facts)`;
}

interface OwnedKind {
  collector: string;
  kind: string;
  facts: readonly Fact[];
}

/** The kinds of the collectors that succeeded, each with the facts the collector returned. */
function kindsOf(
  result: ProbeResult,
  kindsByCollector: Readonly<Record<string, readonly string[]>>,
): OwnedKind[] {
  const owned: OwnedKind[] = [];
  for (const [name, outcome] of Object.entries(result.collectors)) {
    if (outcome.status !== 'ok') continue;
    const kinds = kindsByCollector[name];
    if (!kinds) throw new FactKindError(`collector ${name} is not known: its fact kinds are not`);
    const facts = outcome.facts ?? [];
    for (const fact of facts) {
      if (!kinds.includes(fact.kind)) {
        throw new FactKindError(
          `collector ${name} returned a fact of kind ${fact.kind} it does not own`,
        );
      }
    }
    for (const kind of kinds)
      owned.push({ collector: name, kind, facts: facts.filter((f) => f.kind === kind) });
  }
  return owned;
}

function registryKinds(): Record<string, readonly string[]> {
  return Object.fromEntries(registry.map((c) => [c.name, c.kinds]));
}

function collectorOutcomes(
  result: ProbeResult,
  owned: readonly OwnedKind[],
  sets: readonly FactSet[],
): Record<string, ProbeCollectorOutcome> {
  const setOf = new Map(sets.map((s) => [s.kind, s]));
  const out: Record<string, ProbeCollectorOutcome> = {};
  for (const [name, c] of Object.entries(result.collectors)) {
    const outcome: ProbeCollectorOutcome = { status: c.status, durationMs: c.durationMs };
    if (c.error !== undefined) outcome.error = c.error;
    if (c.status === 'ok') {
      const mine = owned.filter((o) => o.collector === name).map((o) => setOf.get(o.kind));
      outcome.facts = mine.reduce((n, s) => n + (s?.facts.length ?? 0), 0);
      const duplicates = mine.reduce((n, s) => n + (s?.duplicates ?? 0), 0);
      if (duplicates > 0) outcome.duplicates = duplicates;
    }
    out[name] = outcome;
  }
  return out;
}

function markStale(outcomes: Record<string, ProbeCollectorOutcome>, collector: string) {
  const outcome = outcomes[collector];
  if (outcome) outcome.stale = true;
}
