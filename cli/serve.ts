// `hostintel serve`: database (DATABASE_URL or the embedded default), migrations, HTTP API.
// Shuts down in reverse order on SIGINT/SIGTERM.
import { access, constants, mkdir } from 'node:fs/promises';
import { serve as serveHttp } from '@hono/node-server';
import { createApp } from '../http/app.ts';
import { createSql, type Sql } from '../sql/client.ts';
import { type EmbeddedDatabase, startEmbedded } from '../sql/embedded.ts';
import { migrate } from '../sql/migrate.ts';
import { checkReadiness } from '../sql/readiness.ts';
import { type Config, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export async function serve(config: Config = loadConfig()): Promise<void> {
  const log = createLogger(config.logLevel);
  await ensureWritableDir(config.dataDir);

  const cleanups: (() => Promise<unknown>)[] = [];
  const shutdown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    let url = config.databaseUrl;
    if (!url) {
      const pgLog = log.child({ component: 'embedded-postgres' });
      log.info(
        { dataDir: config.dataDir },
        'DATABASE_URL is not set: starting embedded PostgreSQL',
      );
      const embedded: EmbeddedDatabase = await startEmbedded(config.dataDir, (m) => pgLog.debug(m));
      cleanups.push(() => embedded.stop());
      url = embedded.url;
    }
    const sql = createSql(url);
    cleanups.push(() => sql.end({ timeout: 5 }));
    const info = await migrateOrExplain(sql);
    log.info({ applied: info.applied, postgres: info.serverVersion }, 'database migrated');
    if (info.timescaledb) log.info({ version: info.timescaledb }, 'TimescaleDB is active');
    else log.info('TimescaleDB is not available: metrics tables are plain PostgreSQL tables');

    const app = createApp({ readiness: () => checkReadiness(sql) });
    const server = await listen(app.fetch, config);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    log.info({ url: `http://${config.host}:${config.port}` }, 'hostintel is serving');
  } catch (error) {
    await shutdown();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      shutdown().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new StartupError(`data directory ${dir} is not writable (HOSTINTEL_DATA_DIR)`, {
      cause: error,
    });
  }
}

async function migrateOrExplain(sql: Sql) {
  try {
    return await migrate(sql);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartupError(`cannot prepare the database: ${reason}`, { cause: error });
  }
}

type Server = ReturnType<typeof serveHttp>;

function listen(fetch: Parameters<typeof serveHttp>[0]['fetch'], config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, port: config.port, hostname: config.host }, () =>
      resolve(server),
    );
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          `cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`,
          { cause: error },
        ),
      ),
    );
  });
}
