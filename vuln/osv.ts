// OSV records (https://ossf.github.io/osv-schema/) as advisories publish them: validated with
// zod, keeping what matching and reporting need. A malformed record is reported by id and
// skipped; the rest of a batch is kept.
import { z } from 'zod';

const nonEmpty = z.string().min(1);
const timestamp = z.iso.datetime({ offset: true });
const extra = z.record(z.string(), z.unknown());
const strings = z.array(z.string()).default(() => []);

export const osvEventKinds = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
export type OsvEventKind = (typeof osvEventKinds)[number];
/** One bound of a range: `{ introduced: '0' }`, `{ fixed: '1.2-3' }`... */
export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

/** Exactly one of the four keys per event, as the schema's oneOf requires. */
const eventSchema = z
  .strictObject({
    introduced: nonEmpty.optional(),
    fixed: nonEmpty.optional(),
    last_affected: nonEmpty.optional(),
    limit: nonEmpty.optional(),
  })
  .check((ctx) => {
    const present = osvEventKinds.filter((kind) => ctx.value[kind] !== undefined);
    if (present.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        message:
          `an event needs exactly one of ${osvEventKinds.join(', ')} ` + `(has ${present.length})`,
        input: ctx.value,
      });
    }
  })
  .transform((event): OsvEvent => {
    if (event.introduced !== undefined) return { introduced: event.introduced };
    if (event.fixed !== undefined) return { fixed: event.fixed };
    if (event.last_affected !== undefined) return { last_affected: event.last_affected };
    return { limit: event.limit ?? '' };
  });

export const osvRangeTypes = ['ECOSYSTEM', 'SEMVER', 'GIT'] as const;

const rangeSchema = z
  .object({
    type: z.enum(osvRangeTypes),
    repo: z.string().optional(),
    events: z.array(eventSchema).min(1),
    database_specific: extra.optional(),
  })
  .check((ctx) => {
    if (!ctx.value.events.some((event) => 'introduced' in event)) {
      ctx.issues.push({
        code: 'custom',
        message: 'a range needs at least one "introduced" event',
        input: ctx.value.events,
        path: ['events'],
      });
    }
    if (ctx.value.type === 'GIT' && !ctx.value.repo) {
      ctx.issues.push({
        code: 'custom',
        message: 'a GIT range needs "repo"',
        input: ctx.value,
        path: ['repo'],
      });
    }
  });

const severitySchema = z.object({ type: nonEmpty, score: nonEmpty });

const affectedSchema = z.object({
  package: z
    .object({ ecosystem: nonEmpty, name: nonEmpty, purl: z.string().optional() })
    .optional(),
  severity: z.array(severitySchema).default(() => []),
  ranges: z.array(rangeSchema).default(() => []),
  versions: strings,
  ecosystem_specific: extra.optional(),
  database_specific: extra.optional(),
});

export const osvRecordSchema = z.object({
  schema_version: z.string().optional(),
  id: nonEmpty,
  modified: timestamp,
  published: timestamp.optional(),
  /** Set when the advisory was retracted: such a record should no longer be matched. */
  withdrawn: timestamp.optional(),
  aliases: strings,
  /** Related ids, e.g. the CVEs an ALSA/RLSA/USN fixes. */
  related: strings,
  upstream: strings,
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(severitySchema).default(() => []),
  affected: z.array(affectedSchema).default(() => []),
  database_specific: extra.optional(),
});

export type OsvRecord = z.output<typeof osvRecordSchema>;
export type OsvAffected = z.output<typeof affectedSchema>;
export type OsvRange = z.output<typeof rangeSchema>;
export type OsvSeverity = z.output<typeof severitySchema>;

export type OsvParseError = { readonly id: string | null; readonly error: string };

/** One record or an array of records (e.g. a parsed .json file or an API response). */
export function parseOsvRecords(input: unknown): {
  records: OsvRecord[];
  errors: OsvParseError[];
} {
  const items = Array.isArray(input) ? input : [input];
  const records: OsvRecord[] = [];
  const errors: OsvParseError[] = [];
  items.forEach((item, index) => {
    const result = osvRecordSchema.safeParse(item);
    if (result.success) {
      records.push(result.data);
      return;
    }
    const id = idOf(item);
    const where = Array.isArray(input) ? `record #${index}` : 'record';
    errors.push({ id, error: `${where}${id === null ? '' : ` ${id}`}: ${describe(result.error)}` });
  });
  return { records, errors };
}

function idOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null || !('id' in item)) return null;
  return typeof item.id === 'string' && item.id !== '' ? item.id : null;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
