// Reading OSV records from a file (one record or an array), a directory of .json files
// (recursively, as the OSV git mirrors lay them out) or a .zip (the per-ecosystem all.zip
// that OSV publishes), then parsing and upserting them. A file that is not JSON, or a record
// that is malformed, is reported by id (or file name) and skipped; the rest import.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { upsertAdvisories } from '../sql/advisories.ts';
import type { Sql } from '../sql/client.ts';
import { parseOsvRecords } from './osv.ts';

export interface ImportError {
  /** The record's id; the file (or zip member) name when no id could be read. */
  id: string | null;
  error: string;
}

export interface ImportResult {
  imported: number;
  updated: number;
  skipped: number;
  errors: ImportError[];
}

/** One JSON document read from a source: its name and parsed content. */
export interface OsvDocument {
  name: string;
  json: unknown;
}

/** Parses and upserts records given as parsed JSON (one record or an array). */
export async function importOsvJson(sql: Sql, input: unknown): Promise<ImportResult> {
  return importDocuments(sql, [{ name: 'body', json: input }], []);
}

/** Reads `source` (a .json file, a directory or a .zip) and imports every record in it. */
export async function importOsvPath(sql: Sql, source: string): Promise<ImportResult> {
  const { documents, errors } = await readOsvSource(source);
  return importDocuments(sql, documents, errors);
}

async function importDocuments(
  sql: Sql,
  documents: readonly OsvDocument[],
  readErrors: readonly ImportError[],
): Promise<ImportResult> {
  const errors = [...readErrors];
  const records = [];
  for (const doc of documents) {
    const parsed = parseOsvRecords(doc.json);
    records.push(...parsed.records);
    errors.push(...parsed.errors.map((e) => ({ id: e.id ?? doc.name, error: e.error })));
  }
  // The same id twice in one batch: the newest `modified` wins, as it would across batches.
  const newest = new Map<string, (typeof records)[number]>();
  for (const r of records) {
    const seen = newest.get(r.id);
    if (!seen || Date.parse(r.modified) > Date.parse(seen.modified)) newest.set(r.id, r);
  }
  const result = await upsertAdvisories(sql, [...newest.values()]);
  return { ...result, skipped: result.skipped + (records.length - newest.size), errors };
}

/** The JSON documents of a file, directory or zip; unreadable members become errors. */
export async function readOsvSource(
  source: string,
): Promise<{ documents: OsvDocument[]; errors: ImportError[] }> {
  const documents: OsvDocument[] = [];
  const errors: ImportError[] = [];
  const add = (name: string, text: string) => {
    try {
      documents.push({ name, json: JSON.parse(text) });
    } catch (error) {
      errors.push({ id: name, error: `${name}: not JSON (${(error as Error).message})` });
    }
  };
  const info = await stat(source);
  if (info.isDirectory()) {
    for (const file of await jsonFiles(source)) {
      add(path.relative(source, file), await readFile(file, 'utf8'));
    }
  } else if (source.toLowerCase().endsWith('.zip')) {
    for (const entry of readZip(await readFile(source))) {
      if (entry.name.toLowerCase().endsWith('.json')) add(entry.name, entry.data.toString('utf8'));
    }
  } else {
    add(path.basename(source), await readFile(source, 'utf8'));
  }
  return { documents, errors };
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.json'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The stored and deflated members of a zip, from its central directory. Enough for OSV's
 * all.zip (no zip64, no encryption); anything else is refused with ZipFormatError.
 */
export function readZip(zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) throw new ZipFormatError('zip64 is not supported');
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) {
      throw new ZipFormatError(`central directory entry ${n} is corrupt`);
    }
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw new ZipFormatError(`${name}: encrypted members are not supported`);
    if (zip.readUInt32LE(local) !== LOCAL) throw new ZipFormatError(`${name}: bad local header`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    if (method === 0) entries.push({ name, data: Buffer.from(raw) });
    else if (method === 8) entries.push({ name, data: inflateRawSync(raw) });
    else throw new ZipFormatError(`${name}: compression method ${method} is not supported`);
  }
  return entries;
}
