// `hostintel serve` as a real child process for end-to-end tests: a free loopback port, its
// own data directory, an admin token, its output kept for failure messages.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** Starts `hostintel serve` on `databaseUrl` and resolves once /readyz answers 200. */
export async function startServe(options: { databaseUrl: string; token: string }): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-e2e-'));
  let output = '';
  const server: ChildProcess = spawn(process.execPath, ['bin/hostintel.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      HOSTINTEL_PORT: String(port),
      HOSTINTEL_DATA_DIR: dataDir,
      HOSTINTEL_ADMIN_TOKEN: options.token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await until('the server to be ready', async () =>
      (await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined,
    );
  } catch (error) {
    await served.stop();
    throw error;
  }
  return served;
}
