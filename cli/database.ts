// For CLI commands that need the database: DATABASE_URL, or the embedded one when unset
// (which only works while `hostintel serve` is not holding it), migrated before use.
import { createSql, type Sql } from '../sql/client.ts';
import { migrate } from '../sql/migrate.ts';
import type { Config } from './config.ts';

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/**
 * `instead` says what to do when the embedded database is busy (e.g. "use POST /v1/tokens").
 * `max` connections: one is enough for most commands; probes reserve one each for a host lock.
 */
export async function withDatabase<T>(
  config: Config,
  instead: string,
  work: (sql: Sql) => Promise<T>,
  { max = 1 }: { max?: number } = {},
): Promise<T> {
  let url = config.databaseUrl;
  let stop = async () => {};
  if (!url) {
    const { startEmbedded } = await import('../sql/embedded.ts');
    const embedded = await startEmbedded(config.dataDir, () => {}).catch((error: unknown) => {
      throw new DatabaseUnavailableError(
        `DATABASE_URL is not set and the embedded database under ${config.dataDir} cannot be ` +
          `opened (is \`hostintel serve\` running? Stop it, or ${instead})`,
        { cause: error },
      );
    });
    url = embedded.url;
    stop = () => embedded.stop();
  }
  const sql = createSql(url, { max });
  try {
    await migrate(sql);
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
    await stop();
  }
}
