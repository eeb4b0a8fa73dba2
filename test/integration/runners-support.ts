// What the multi-runner tests share: simulated hosts registered in a database, `hostintel serve
// --role runner` processes, and the probe log read back as intervals.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sql } from '../../sql/client.ts';
import { createCredential } from '../../sql/credentials.ts';
import { registerHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import type { Fleet } from '../sim/fleet.ts';
import { pinned } from '../support/env.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms: number,
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${explain()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A secret key shared by the test (to register credentials) and the runner processes. */
export function secretKey(): { base64: string; box: ReturnType<typeof createSecretBox> } {
  const key = randomBytes(32);
  return { base64: key.toString('base64'), box: createSecretBox(key) };
}

/** Registers every simulated host with one stored credential; returns the host ids in order. */
export async function registerFleet(
  sql: Sql,
  fleet: Fleet,
  box: ReturnType<typeof createSecretBox>,
  settings: { factsIntervalS: number; metricsIntervalS: number; collectors: readonly string[] },
): Promise<string[]> {
  const privateKey = fleet.hosts[0]?.privateKey;
  if (!privateKey) throw new Error('the fleet made its own key: privateKey is set');
  const credential = await createCredential(sql, box, {
    name: 'simulated fleet',
    secret: { type: 'privateKey', privateKey },
  });
  const all = ['os', 'packages', 'services', 'users', 'hardware', 'network', 'listeners'];
  const disabled = [...all, 'firewall'].filter((c) => !settings.collectors.includes(c));
  const ids: string[] = [];
  for (const host of fleet.hosts) {
    const row = await registerHost(sql, box, {
      ...pinned(host),
      sudo: true,
      factsIntervalS: settings.factsIntervalS,
      metricsIntervalS: settings.metricsIntervalS,
      disabledCollectors: disabled,
      credential: { id: credential.id },
    });
    ids.push(row.id);
  }
  return ids;
}

export interface RunnerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** The last lines the process logged (for failure messages). */
  output(lines?: number): string;
  /** SIGTERM and wait: a clean stop (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/** `node bin/hostintel.js serve --role runner` against `databaseUrl`. */
export function spawnRunner(
  databaseUrl: string,
  env: Record<string, string>,
  label: string,
): RunnerProcess {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `hostintel-${label}-`));
  const child = spawn(process.execPath, ['bin/hostintel.js', 'serve', '--role', 'runner'], {
    cwd: REPO,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOSTINTEL_DATA_DIR: dataDir,
      HOSTINTEL_ADMIN_TOKEN: 'runners-test-admin-token-0123',
      HOSTINTEL_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the runner did not start');
  const pid = child.pid;
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    });
  });
  return {
    child,
    pid,
    exited,
    output: (lines = 20) => {
      const all = text.split('\n');
      const problems = all.filter((l) => /"level":(40|50|60)/.test(l)).slice(-20);
      return [`--- ${label} (pid ${pid}) ---`, ...problems, '...', ...all.slice(-lines)].join('\n');
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A clean stop takes seconds; one that hangs is a bug, but must not leave a process.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Overlap {
  hostId: string;
  first: string;
  second: string;
  firstFinishedAt: Date;
  secondStartedAt: Date;
}

/**
 * Two probes of one host whose [started_at, finished_at] intersect, from the probe log (a
 * probe still running counts as running until now). Sorted by start, any overlap shows up
 * between neighbours.
 */
export async function overlappingProbes(sql: Sql): Promise<Overlap[]> {
  return sql<Overlap[]>`
    with probes as (
      select id, host_id, started_at, finished_at from intel_probes
      union all
      select id, host_id, started_at, now() from intel_probes_running
    ),
    ordered as (
      select host_id, id, finished_at,
        lead(id) over w as next_id, lead(started_at) over w as next_started_at
      from probes
      window w as (partition by host_id order by started_at, id)
    )
    select host_id as "hostId", id as first, next_id as second,
      finished_at as "firstFinishedAt", next_started_at as "secondStartedAt"
    from ordered where next_started_at < finished_at`;
}
