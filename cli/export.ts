// `hostintel export --format csv|json|cyclonedx [--host <name|id>] [--as-of <instant>]
// [--output <path>]`: the fleet's inventory, or one host's, now or as of an instant. JSON and
// CSV of the fleet are one document written host by host (memory stays one host deep).
// CycloneDX describes one host per BOM, so for the fleet --output names a directory that
// gets one `<host>.cdx.json` per host; without --host and --output it is refused.
// A file is written aside and renamed into place: a failed export leaves no half file.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { timestampSchema } from '../http/schemas.ts';
import type { Sql } from '../sql/client.ts';
import type { HostRow } from '../sql/hosts.ts';
import {
  csvHeader,
  csvRows,
  type ExportFormat,
  exportFormats,
  hostJson,
  jsonDocument,
  readExportFacts,
  renderHostExport,
} from './export/host-export.ts';
import { type Io, type TextSink, UsageError } from './hosts-io.ts';
import { allHosts, requireHost } from './hosts.ts';

export interface ExportCommandOptions {
  format?: string;
  host?: string;
  asOf?: string;
  output?: string;
}

export interface ExportDeps {
  sql: Sql;
  io: Io;
  now?: () => Date;
}

export interface ExportSummary {
  hosts: number;
  /** The files written (none when the export went to stdout). */
  files: string[];
}

export function parseExportFormat(value: string | undefined): ExportFormat {
  if (value === undefined) {
    throw new UsageError(`--format is required: ${exportFormats.join(', ')}`);
  }
  if (!(exportFormats as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${exportFormats.join(', ')}`);
  }
  return value as ExportFormat;
}

/** An ISO 8601 instant with its offset (as the API takes it), or a date (its UTC midnight). */
export function parseAsOf(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const date = new Date(text);
  if (!timestampSchema.safeParse(text).success || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--as-of must be an instant like 2026-01-15T09:30:00Z or a date like 2026-01-15, ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return date;
}

export async function exportCommand(
  deps: ExportDeps,
  options: ExportCommandOptions,
): Promise<ExportSummary> {
  const format = parseExportFormat(options.format);
  const asOf = parseAsOf(options.asOf);
  const now = deps.now?.() ?? new Date();
  if (options.host !== undefined) {
    const host = await requireHost(deps.sql, options.host, '--host');
    const rendered = await renderHostExport(deps.sql, host, format, asOf, now);
    return deliver(deps.io, options.output, async (sink) => sink(rendered.body), 1);
  }
  if (format === 'cyclonedx') {
    if (options.output === undefined) {
      throw new UsageError(
        'a CycloneDX BOM describes one host: give --host, or --output <directory> for one ' +
          'file per host',
      );
    }
    return bomDirectory(deps, options.output, await fleet(deps.sql, asOf), asOf, now);
  }
  const hosts = await fleet(deps.sql, asOf);
  return deliver(
    deps.io,
    options.output,
    async (sink) => {
      const at = asOf ?? now;
      if (format === 'csv') await sink(csvHeader());
      else await sink(jsonDocument.head(at, now));
      for (const [index, host] of hosts.entries()) {
        const facts = await readExportFacts(deps.sql, host.id, format, asOf);
        if (format === 'csv') await sink(csvRows(host, facts));
        else {
          await sink(
            `${index > 0 ? jsonDocument.separator : ''}${JSON.stringify(hostJson(host, facts))}`,
          );
        }
      }
      if (format === 'json') await sink(jsonDocument.tail);
    },
    hosts.length,
  );
}

/** The hosts an inventory as of `asOf` lists: those registered by then (deleted ones are gone). */
async function fleet(sql: Sql, asOf: Date | null): Promise<HostRow[]> {
  const hosts = await allHosts(sql);
  return asOf ? hosts.filter((h) => h.createdAt <= asOf) : hosts;
}

type Write = (text: string) => Promise<void>;

/** Writes to stdout, or to `output` through a temporary file renamed into place at the end. */
async function deliver(
  io: Io,
  output: string | undefined,
  produce: (write: Write) => Promise<void>,
  hosts: number,
): Promise<ExportSummary> {
  if (output === undefined) {
    try {
      await produce(writer(io.stdout));
    } catch (error) {
      // The reader went away (`| head`): what it wanted, it has; nothing to report.
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    }
    return { hosts, files: [] };
  }
  await refuseDirectory(output);
  const temp = tempName(output);
  const stream = createWriteStream(temp, { mode: 0o644 });
  try {
    await produce(writer(stream));
    stream.end();
    await once(stream, 'finish');
    await rename(temp, output);
  } catch (error) {
    stream.destroy();
    await unlink(temp).catch(() => {});
    throw error;
  }
  io.stderr.write(`wrote ${hosts} host${hosts === 1 ? '' : 's'} to ${output}\n`);
  return { hosts, files: [output] };
}

async function bomDirectory(
  deps: ExportDeps,
  dir: string,
  hosts: readonly HostRow[],
  asOf: Date | null,
  now: Date,
): Promise<ExportSummary> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--output ${dir} cannot be used as a directory (${code})`);
  }
  const files: string[] = [];
  const used = new Set<string>();
  for (const host of hosts) {
    const rendered = await renderHostExport(deps.sql, host, 'cyclonedx', asOf, now);
    // Two names may sanitise alike (a/b and a_b): the id keeps them apart.
    let name = rendered.filename;
    if (used.has(name)) name = name.replace(/\.cdx\.json$/, `-${host.id}.cdx.json`);
    used.add(name);
    const file = path.join(dir, name);
    const temp = tempName(file);
    await writeFile(temp, rendered.body, { mode: 0o644 });
    await rename(temp, file);
    files.push(file);
  }
  deps.io.stderr.write(
    `wrote ${files.length} CycloneDX BOM${files.length === 1 ? '' : 's'} to ${dir}\n`,
  );
  return { hosts: hosts.length, files };
}

async function refuseDirectory(output: string): Promise<void> {
  const info = await stat(output).catch(() => null);
  if (info?.isDirectory()) {
    throw new UsageError(`--output ${output} is a directory: name a file`);
  }
}

function tempName(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

/** Waits for 'drain' when a stream's buffer is full, so a large export is not held in memory. */
function writer(sink: TextSink): Write {
  return async (text) => {
    const ok = sink.write(text);
    const emitter = sink as Partial<NodeJS.EventEmitter>;
    if (ok === false && typeof emitter.once === 'function') {
      await once(emitter as NodeJS.EventEmitter, 'drain');
    }
  };
}
