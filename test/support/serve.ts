// `hostintel serve` as a real child process for end-to-end tests: a free loopback port, its
// own data directory, an admin token, its output kept for failure messages.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Served {
  base: string;
  token: string;
  /** What the process printed so far (both streams). */
  output(): string;
  /** Adds a line to the output shown when a wait times out (browser errors…). */
  note(line: string): void;
  /** A JSON request with the admin token. */
  api(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Polls `fn` until it returns something other than undefined; fails with the output. */
  until<T>(what: string, fn: () => Promise<T | undefined>, ms?: number): Promise<T>;
  readonly dataDir: string;
  /** SIGTERM and wait for the exit; how the process ended. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** terminate(), then remove the data directory. */
  stop(): Promise<void>;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/**
 * Starts `hostintel serve` on `databaseUrl` (none: the embedded database) and resolves once
 * /readyz answers 200 (within `readyMs`).
 */
export async function startServe(options: {
  databaseUrl: string | null;
  token: string;
  readyMs?: number;
}): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-e2e-'));
  // As root the embedded database runs as `postgres`, which must reach its directory.
  chmodSync(dataDir, 0o711);
  let output = '';
  const { DATABASE_URL: _, ...env } = process.env;
  const server: ChildProcess = spawn(process.execPath, ['bin/hostintel.js', 'serve'], {
    env: {
      ...env,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      HOSTINTEL_PORT: String(port),
      HOSTINTEL_DATA_DIR: dataDir,
      HOSTINTEL_ADMIN_TOKEN: options.token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    server.once('exit', (code, signal) => resolve({ code, signal })),
  );
  server.stdout?.on('data', (c) => (output += c));
  server.stderr?.on('data', (c) => (output += c));

  const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\n${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const served: Served = {
    base,
    token: options.token,
    output: () => output,
    note: (line) => {
      output += `\n${line}`;
    },
    async api(method, route, body) {
      const res = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    until,
    dataDir,
    terminate() {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      return exited;
    },
    async stop() {
      await served.terminate();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await until(
      'the server to be ready',
      async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined),
      options.readyMs,
    );
  } catch (error) {
    await served.stop();
    throw error;
  }
  return served;
}
