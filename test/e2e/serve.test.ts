// `hostintel serve` as a real process against the test TimescaleDB and the dev sshd hosts:
// registered hosts get probed by their actors, facts and metrics land in the database, and an
// unchanged host's next probe writes no fact rows.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { testHost } from '../support/env.ts';

const db = useTestDatabase();
const token = 'e2e-admin-token-0123456789';
let server: ChildProcess;
let base = '';
let output = '';

const api = async (method: string, route: string, body?: unknown) => {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['bin/hostintel.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      HOSTINTEL_PORT: String(port),
      HOSTINTEL_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'hostintel-e2e-')),
      HOSTINTEL_ADMIN_TOKEN: token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (c) => (output += c));
  server.stderr?.on('data', (c) => (output += c));
  await until('the server to be ready', async () =>
    (await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined,
  );
});

afterAll(async () => {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
});

describe('hostintel serve', () => {
  it('probes registered hosts, stores facts and metrics, and writes nothing for an unchanged host', async () => {
    const ids: string[] = [];
    for (const name of ['deb12', 'deb13']) {
      const host = testHost(name);
      const created = await api('POST', '/v1/hosts', {
        name,
        address: host.address,
        port: host.port,
        username: host.username,
        hostKeyPolicy: 'strict',
        hostKey: host.hostKey,
        factsIntervalS: 10,
        metricsIntervalS: 5,
        credential: { type: 'privateKey', privateKey: readFileSync(host.privateKeyPath, 'utf8') },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.push(created.body.id as string);
    }
    for (const id of ids) {
      await until('an actor for the new host', async () =>
        (await api('GET', `/v1/hosts/${id}/actor`)).status === 200 ? true : undefined,
      );
      const probe = await api('POST', `/v1/hosts/${id}/probe`);
      expect(probe.status).toBe(202);
    }

    // Both hosts' first facts probes are stored (the baseline).
    for (const id of ids) {
      await until('a finished facts probe', async () => {
        const [row] =
          await db.sql`select status from intel_probes where host_id = ${id} and type = 'facts' and status <> 'running'`;
        return row ? row : undefined;
      });
    }
    const packages = await db.sql<{ host_id: string; n: number }[]>`
      select host_id, count(*)::int as n from host_facts where kind = 'package' and valid_to is null group by 1`;
    expect(packages.map((p) => p.n).every((n) => n > 100)).toBe(true);
    expect(packages).toHaveLength(2);

    // Metrics: the second sample of a host yields rates; both hosts get host-level rows.
    await until('metrics rows for both hosts', async () => {
      const rows = await db.sql`select distinct host_id from host_metrics`;
      return rows.length === 2 ? rows : undefined;
    });

    // Service metrics see the same probes and actors (GET /metrics, Prometheus text).
    const scrape = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(scrape.status).toBe(200);
    const exposition = await scrape.text();
    const okFacts = exposition.match(
      /^hostintel_probes_total\{type="facts",outcome="ok"\} (\d+)$/m,
    );
    expect(Number(okFacts?.[1])).toBeGreaterThanOrEqual(2);
    const actors = [...exposition.matchAll(/^hostintel_actors\{state="\w+"\} (\d+)$/gm)];
    expect(actors.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(2);
    expect(exposition).toMatch(/^hostintel_db_write_duration_seconds_count\{kind="probe"\} [1-9]/m);

    // The next scheduled facts probe of an unchanged host writes no fact rows.
    const [deb13] = ids.slice(1);
    const factRows = async () =>
      (
        await db.sql<
          { n: number }[]
        >`select count(*)::int as n from host_facts where host_id = ${deb13 as string}`
      )[0]?.n;
    const before = await factRows();
    await until(
      'a second facts probe of deb13',
      async () => {
        const rows =
          await db.sql`select fact_changes from intel_probes where host_id = ${deb13 as string} and type = 'facts' and status = 'ok' order by started_at`;
        return rows.length >= 2 ? rows : undefined;
      },
      40_000,
    );
    const probes = await db.sql<{ fact_changes: number }[]>`
      select fact_changes from intel_probes where host_id = ${deb13 as string} and type = 'facts' and status = 'ok' order by started_at`;
    expect(probes[1]?.fact_changes).toBe(0);
    expect(await factRows()).toBe(before);
  });
});
