// Forward-only migrations: numbered .sql files in sql/migrations, each applied in its own
// transaction and recorded in schema_migrations. A session-level advisory lock makes two
// processes starting at once take turns; the second finds nothing left to do.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from './client.ts';
import { type DatabaseInfo, databaseInfo, ensureTimescale } from './timescale.ts';

const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations');
// An arbitrary constant naming "hostintel migrations" in pg_advisory_lock's key space.
const LOCK_KEY = 0x686f737469;

export interface Migration {
  version: number;
  name: string;
  file: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = /^(\d+)-([a-z0-9-]+)\.sql$/.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new MigrationError(`migration file ${file} is not named NNN-name.sql`);
    }
    return { version: Number(match[1]), name: match[2], file: path.join(dir, file) };
  });
}

export interface MigrateResult extends DatabaseInfo {
  applied: string[];
}

export interface MigrateOptions {
  /** false: never create the TimescaleDB extension (plain tables even where it is offered). */
  timescale?: boolean;
  dir?: string;
}

export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = await listMigrations(options.dir);
  const connection = await sql.reserve();
  try {
    await connection`select pg_advisory_lock(${LOCK_KEY})`;
    const info =
      options.timescale === false
        ? await databaseInfo(connection as unknown as Sql)
        : await ensureTimescale(connection as unknown as Sql);
    await connection`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Set(
      (await connection<{ version: number }[]>`select version from schema_migrations`).map(
        (r) => r.version,
      ),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const text = await readFile(m.file, 'utf8');
      try {
        await connection.unsafe('begin');
        await connection.unsafe(text);
        await connection`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        await connection.unsafe('commit');
      } catch (error) {
        await connection.unsafe('rollback');
        throw new MigrationError(`migration ${path.basename(m.file)} failed: ${String(error)}`, {
          cause: error,
        });
      }
      applied.push(path.basename(m.file));
    }
    return { ...info, applied };
  } finally {
    await connection`select pg_advisory_unlock(${LOCK_KEY})`.catch(() => {});
    connection.release();
  }
}

/** Migrations known to this build that the database has not applied yet. */
export async function pendingMigrations(sql: Sql, dir = MIGRATIONS_DIR): Promise<number> {
  const migrations = await listMigrations(dir);
  const [exists] = await sql<{ t: string | null }[]>`select to_regclass('schema_migrations') as t`;
  if (!exists?.t) return migrations.length;
  const rows = await sql<{ version: number }[]>`select version from schema_migrations`;
  const done = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version)).length;
}
