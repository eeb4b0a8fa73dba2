// `hostintel serve`: database (DATABASE_URL or the embedded default), migrations, HTTP API.
// Shuts down in reverse order on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { access, constants, mkdir } from 'node:fs/promises';
import { serve as serveHttp } from '@hono/node-server';
import { startRunner } from '../actors/runner.ts';
import { createServiceMetrics } from '../actors/service-metrics.ts';
import { createApp } from '../http/app.ts';
import { createNullControl, type HostControl, withRemoteProbes } from '../http/host-control.ts';
import { createSql, type Sql } from '../sql/client.ts';
import type { EmbeddedDatabase } from '../sql/embedded.ts';
import { migrate } from '../sql/migrate.ts';
import { checkReadiness } from '../sql/readiness.ts';
import { createProbeRequestClient } from '../sql/runners.ts';
import { withSafeSessions } from '../sql/safe-sessions.ts';
import { loadSecretBox } from '../sql/secrets.ts';
import { type Config, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { ensureAdminToken } from './tokens.ts';

/**
 * `all`: API + probe runner; `runner`: probes only; `api`: serves the API only. Any number of
 * each may share one database: runners split the hosts through leases (actors/leases.ts).
 */
export const serveRoles = ['all', 'runner', 'api'] as const;
export type ServeRole = (typeof serveRoles)[number];

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export async function serve(config: Config = loadConfig(), role: ServeRole = 'all'): Promise<void> {
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
      // Loaded only here, where it is needed (its signal hooks are removed: sql/embedded.ts).
      const { startEmbedded } = await import('../sql/embedded.ts');
      const embedded: EmbeddedDatabase = await startEmbedded(config.dataDir, (m) => pgLog.debug(m));
      cleanups.push(() => embedded.stop());
      url = embedded.url;
    }
    // A probe holds a reserved connection (its host lock) and needs another to store its
    // outcome: a pool no larger than the probe concurrency would let every connection be a
    // lock waiting for a second one, forever. Headroom for stores, the API, heartbeats, LISTEN.
    // Reserved connections and transactions survive a database restart.
    const probing = role === 'api' ? 0 : config.probeConcurrency.global;
    const sql = withSafeSessions(createSql(url, { max: probing + POOL_HEADROOM }));
    cleanups.push(() => sql.end({ timeout: 5 }));
    const info = await migrateOrExplain(sql);
    log.info({ applied: info.applied, postgres: info.serverVersion }, 'database migrated');
    if (info.timescaledb) log.info({ version: info.timescaledb }, 'TimescaleDB is active');
    else log.info('TimescaleDB is not available: metrics tables are plain PostgreSQL tables');

    const secrets = await loadSecretBox({ secretKey: config.secretKey, dataDir: config.dataDir });
    await ensureAdminToken(sql, { adminToken: config.adminToken, dataDir: config.dataDir, log });

    const serviceMetrics = createServiceMetrics();
    let control: HostControl = createNullControl();
    if (role !== 'api') {
      const runner = await startRunner({
        sql,
        observer: serviceMetrics,
        secrets,
        log: log.child({ component: 'runner' }),
        limits: config.probeConcurrency,
        retention: config.retention,
        leaseTtlMs: config.leaseTtlS * 1000,
        version: packageVersion(),
      });
      cleanups.push(() => runner.stop());
      const { supervisor } = runner;
      control = {
        requestProbe: (hostId) => supervisor.requestProbe(hostId),
        actorView: (hostId) => supervisor.view(hostId),
        actorViews: (filter) => supervisor.views(filter),
        subscribe: (listener) => supervisor.subscribe(listener),
      };
    }
    if (role !== 'runner') {
      // A host whose actor runs in another process is probed by that process.
      const requests = createProbeRequestClient(sql);
      cleanups.push(() => requests.close());
      control = withRemoteProbes(control, (hostId) => requests.request(hostId));
    }
    if (role === 'runner') {
      log.info('hostintel runner is probing (no API in this process)');
    } else {
      const app = createApp({
        readiness: () => checkReadiness(sql),
        sql,
        secrets,
        control,
        logger: log,
        serviceMetrics,
      });
      const server = await listen(app.fetch, config);
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      log.info({ url: `http://${config.host}:${config.port}` }, 'hostintel is serving');
    }
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

/** Connections beyond one per concurrent probe. */
const POOL_HEADROOM = 16;

function packageVersion(): string {
  const file = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'dev';
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
