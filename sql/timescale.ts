// TimescaleDB is optional: where the extension can be created we use hypertables, otherwise
// the same tables stay plain PostgreSQL tables. The migrations ask `timescaleActive()`.
import type { Sql } from './client.ts';

export interface DatabaseInfo {
  serverVersion: string;
  timescaledb: string | null;
}

/** Create the extension when the server offers it; report what we ended up with. */
export async function ensureTimescale(sql: Sql): Promise<DatabaseInfo> {
  const [available] = await sql<{ name: string }[]>`
    select name from pg_available_extensions where name = 'timescaledb'`;
  if (available) {
    try {
      await sql`create extension if not exists timescaledb`;
    } catch {
      // Installed but not preloaded (shared_preload_libraries): fall back to plain tables.
    }
  }
  return databaseInfo(sql);
}

export async function databaseInfo(sql: Sql): Promise<DatabaseInfo> {
  const [row] = await sql<{ server: string; ts: string | null }[]>`
    select current_setting('server_version') as server,
           (select extversion from pg_extension where extname = 'timescaledb') as ts`;
  return { serverVersion: row?.server ?? 'unknown', timescaledb: row?.ts ?? null };
}
