// `hostintel serve` as a real process against the test TimescaleDB and the dev sshd hosts:
// registered hosts get probed by their actors, facts and metrics land in the database, and an
// unchanged host's next probe writes no fact rows.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { pinned, testHost } from '../support/env.ts';
import { type Served, startServe } from '../support/serve.ts';

const db = useTestDatabase();
const token = 'e2e-admin-token-0123456789';
let served: Served;
const api: Served['api'] = (method, route, body) => served.api(method, route, body);
const until: Served['until'] = (what, fn, ms) => served.until(what, fn, ms);

beforeAll(async () => {
  served = await startServe({ databaseUrl: db.url, token });
});

afterAll(async () => {
  await served?.stop();
});

describe('hostintel serve', () => {
  it('probes registered hosts, stores facts and metrics, and writes nothing for an unchanged host', async () => {
    const ids: string[] = [];
    for (const name of ['deb12', 'deb13']) {
      const host = testHost(name);
      const created = await api('POST', '/v1/hosts', {
        ...pinned(host),
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
    const scrape = await fetch(`${served.base}/metrics`, {
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
