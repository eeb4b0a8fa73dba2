// OSV advisories in the database: upsert by id (only when `modified` is newer), the ids each
// record is known by, and the affected packages per (ecosystem, name) that matching joins on.
import type { OsvRecord } from '../vuln/osv.ts';
import type { Sql } from './client.ts';

export const severities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof severities)[number];

export interface UpsertResult {
  imported: number;
  updated: number;
  /** Records already stored with the same or a newer `modified`. */
  skipped: number;
}

export interface AdvisoryRow {
  id: string;
  modified: Date;
  published: Date | null;
  withdrawn: Date | null;
  summary: string | null;
  severity: Severity;
  aliases: string[];
  /** The OSV ecosystems the record names packages in. */
  ecosystems: string[];
  importedAt: Date;
  updatedAt: Date;
}

const RATINGS: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  important: 'high',
  high: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

/**
 * The distribution's own rating (Ubuntu's `severity[type=Ubuntu]`, `database_specific.severity`
 * of AlmaLinux/Rocky/Debian records, Debian's `urgency`); CVSS vectors alone give 'unknown'
 * rather than a score computed here that the distribution never published.
 */
export function advisorySeverity(record: OsvRecord): Severity {
  const candidates: unknown[] = [
    ...record.severity.filter((s) => !s.type.startsWith('CVSS')).map((s) => s.score),
    record.database_specific?.severity,
    ...record.affected.flatMap((a) => [
      ...a.severity.filter((s) => !s.type.startsWith('CVSS')).map((s) => s.score),
      a.database_specific?.severity,
      a.ecosystem_specific?.severity,
      a.ecosystem_specific?.urgency,
    ]),
  ];
  let best: Severity = 'unknown';
  for (const value of candidates) {
    if (typeof value !== 'string') continue;
    const rating = RATINGS[value.toLowerCase().replace(/\*$/, '').trim()];
    if (rating && severities.indexOf(rating) < severities.indexOf(best)) best = rating;
  }
  return best;
}

function aliasRows(record: OsvRecord): { alias: string; relation: string }[] {
  const rows = new Map<string, string>([[record.id, 'self']]);
  for (const [relation, ids] of [
    ['alias', record.aliases],
    ['related', record.related],
    ['upstream', record.upstream],
  ] as const) {
    for (const id of ids) if (!rows.has(id)) rows.set(id, relation);
  }
  return [...rows].map(([alias, relation]) => ({ alias, relation }));
}

/** Upserts each record in its own statement group, all in one transaction. */
export async function upsertAdvisories(
  sql: Sql,
  records: readonly OsvRecord[],
): Promise<UpsertResult> {
  const result: UpsertResult = { imported: 0, updated: 0, skipped: 0 };
  await sql.begin(async (tx) => {
    for (const record of records) {
      const rows = await tx<{ inserted: boolean }[]>`
        insert into advisories (id, modified, published, withdrawn, summary, severity, record)
        values (${record.id}, ${record.modified}, ${record.published ?? null},
          ${record.withdrawn ?? null}, ${record.summary ?? null}, ${advisorySeverity(record)},
          ${tx.json(record as never)})
        on conflict (id) do update set
          modified = excluded.modified, published = excluded.published,
          withdrawn = excluded.withdrawn, summary = excluded.summary,
          severity = excluded.severity, record = excluded.record, updated_at = now()
        where advisories.modified < excluded.modified
        returning (xmax = 0) as inserted`;
      const row = rows[0];
      if (!row) {
        result.skipped++;
        continue;
      }
      if (row.inserted) result.imported++;
      else {
        result.updated++;
        await tx`delete from advisory_aliases where advisory_id = ${record.id}`;
        await tx`delete from advisory_packages where advisory_id = ${record.id}`;
      }
      const aliases = aliasRows(record);
      await tx`
        insert into advisory_aliases (alias, advisory_id, relation)
        select a, ${record.id}, r
        from unnest(${aliases.map((a) => a.alias)}::text[], ${aliases.map((a) => a.relation)}::text[])
          as t(a, r)`;
      const packages = record.affected.flatMap((affected, idx) =>
        affected.package
          ? [{ idx, ecosystem: affected.package.ecosystem, name: affected.package.name, affected }]
          : [],
      );
      if (packages.length > 0) {
        await tx`
          insert into advisory_packages (advisory_id, idx, ecosystem, name, affected)
          select ${record.id}, i, e, n, a::jsonb
          from unnest(${packages.map((p) => p.idx)}::int[],
            ${packages.map((p) => p.ecosystem)}::text[], ${packages.map((p) => p.name)}::text[],
            ${packages.map((p) => JSON.stringify(p.affected))}::text[]) as t(i, e, n, a)`;
      }
    }
  });
  return result;
}

type AdvisoryDbRow = {
  id: string;
  modified: Date;
  published: Date | null;
  withdrawn: Date | null;
  summary: string | null;
  severity: Severity;
  aliases: string[];
  ecosystems: string[];
  imported_at: Date;
  updated_at: Date;
};

const toAdvisory = (r: AdvisoryDbRow): AdvisoryRow => ({
  id: r.id,
  modified: r.modified,
  published: r.published,
  withdrawn: r.withdrawn,
  summary: r.summary,
  severity: r.severity,
  aliases: r.aliases,
  ecosystems: r.ecosystems,
  importedAt: r.imported_at,
  updatedAt: r.updated_at,
});

/** Advisories by id, in id order; unknown ids are simply absent. */
export async function getAdvisories(sql: Sql, ids: readonly string[]): Promise<AdvisoryRow[]> {
  const rows = await sql<AdvisoryDbRow[]>`
    select a.id, a.modified, a.published, a.withdrawn, a.summary, a.severity,
      a.imported_at, a.updated_at,
      coalesce((select array_agg(alias order by alias) from advisory_aliases l
        where l.advisory_id = a.id and l.relation <> 'self'), '{}') as aliases,
      coalesce((select array_agg(distinct ecosystem order by ecosystem) from advisory_packages p
        where p.advisory_id = a.id), '{}') as ecosystems
    from advisories a
    where a.id = any(${ids as string[]}::text[])
    order by a.id`;
  return rows.map(toAdvisory);
}

export async function getAdvisory(sql: Sql, id: string): Promise<AdvisoryRow | null> {
  return (await getAdvisories(sql, [id]))[0] ?? null;
}

/** The ids of the advisories known by `alias` (a CVE id, or an advisory's own id). */
export async function advisoryIdsFor(sql: Sql, alias: string): Promise<string[]> {
  const rows = await sql<{ advisory_id: string }[]>`
    select advisory_id from advisory_aliases where alias = ${alias} order by advisory_id`;
  return rows.map((r) => r.advisory_id);
}
