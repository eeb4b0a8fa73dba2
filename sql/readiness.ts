// What /readyz reports: can we reach the database, is it migrated, which TimescaleDB.
import type { Sql } from './client.ts';
import { pendingMigrations } from './migrate.ts';
import { databaseInfo } from './timescale.ts';

export async function checkReadiness(sql: Sql) {
  try {
    const info = await databaseInfo(sql);
    const pending = await pendingMigrations(sql);
    return {
      ready: pending === 0,
      database: { reachable: true, pendingMigrations: pending, serverVersion: info.serverVersion },
      timescaledb: info.timescaledb,
    };
  } catch (error) {
    return {
      ready: false,
      database: { reachable: false, pendingMigrations: null, serverVersion: null },
      timescaledb: null,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
