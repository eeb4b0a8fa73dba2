// The API without actors of its own (as `serve --role api`) next to a runner: "probe now"
// reaches the runner holding the host through NOTIFY and comes back with the runner's answer,
// and GET /v1/runners shows the runner, its heartbeat and its hosts.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, startRunner } from '../../actors/runner.ts';
import { createNullControl, withRemoteProbes } from '../../http/host-control.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import { createProbeRequestClient, type ProbeRequestClient } from '../../sql/runners.ts';
import { registerDevHost, testHost } from '../support/env.ts';
import { useApi } from './api-support.ts';
import { until } from './runners-support.ts';

let requests: ProbeRequestClient | undefined;
const api = useApi({
  control: () => {
    requests = createProbeRequestClient(api.db.sql);
    const client = requests;
    return withRemoteProbes(createNullControl(), (hostId) => client.request(hostId));
  },
});
let runnerSql: Sql;
let runner: Runner;
let hostId = '';

beforeAll(async () => {
  // The runner has its own pool, as another process would.
  runnerSql = createSql(api.db.url, { max: 8 });
  runner = await startRunner({
    sql: runnerSql,
    secrets: api.secrets,
    log: pino({ level: 'silent' }),
    leaseTtlMs: 3_000,
    name: 'api-test-runner',
    version: 'test',
    // No scheduled probe during the test: the probes are requested.
    defaults: { startupSpreadMs: 3_600_000 },
  });
  const dev = testHost('deb12');
  const host = await registerDevHost(api.db.sql, api.secrets, 'remote-probe', dev);
  hostId = host.id;
  await until(
    'the runner to hold the host',
    async () => (runner.supervisor.view(hostId) ? true : undefined),
    15_000,
  );
});

afterAll(async () => {
  await runner?.stop(2_000);
  await requests?.close();
  await runnerSql?.end({ timeout: 1 });
});

describe('an API process without actors', () => {
  it('lists the runner with its heartbeat and hosts (viewer)', async () => {
    const res = await api.request('GET', '/v1/runners', { token: api.tokens.viewer });
    expect(res.status).toBe(200);
    const body = res.body as { items: Record<string, unknown>[]; unownedHosts: number };
    expect(body.unownedHosts).toBe(0);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      id: runner.id,
      name: 'api-test-runner',
      pid: process.pid,
      version: 'test',
      live: true,
      stoppedAt: null,
      leaseTtlS: 3,
      hosts: 1,
      enabledHosts: 1,
    });
    expect(body.items[0]?.heartbeatAgeS).toBeLessThan(3);
    const bad = await api.request('GET', '/v1/runners?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
  });

  it('has a probe run by the runner that holds the host, and relays its refusals', async () => {
    const accepted = await api.request('POST', `/v1/hosts/${hostId}/probe`, {
      token: api.tokens.operator,
    });
    expect(accepted.status, accepted.text).toBe(202);
    const { probeId } = accepted.body as { probeId: string };
    // The runner's answer, relayed: a probe runs or was just asked for.
    const again = await api.request('POST', `/v1/hosts/${hostId}/probe`);
    expect([409, 429]).toContain(again.status);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await until(
      'the requested probe to finish',
      async () => {
        const [row] = await api.db.sql<{ status: string }[]>`
          select status from intel_probes where id = ${probeId}`;
        return row?.status === 'ok' ? true : undefined;
      },
      30_000,
    );
    // In this process there is no actor to show.
    expect((await api.request('GET', `/v1/hosts/${hostId}/actor`)).status).toBe(404);
  });

  it('answers 404 at once for a host no runner holds', async () => {
    await runner.stop(2_000);
    const started = Date.now();
    const res = await api.request('POST', `/v1/hosts/${hostId}/probe`);
    expect(res.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1_000);
    const list = await api.request('GET', '/v1/runners');
    const body = list.body as { items: Record<string, unknown>[]; unownedHosts: number };
    expect(body.unownedHosts).toBe(1);
    expect(body.items[0]).toMatchObject({ live: false, hosts: 0 });
    expect(body.items[0]?.stoppedAt).toEqual(expect.any(String));
  });
});
