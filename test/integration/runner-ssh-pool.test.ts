// The runner with RunnerOptions.sshPool against simulated hosts (test/sim) and a real
// database: a host's metrics probes run on the connection its previous metrics probe left
// open, facts probes connect anew, and host keys are still verified on every connection the
// runner opens — a changed pinned key never reuses the old connection, and a host that comes
// back with another key is refused.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type Runner, startRunner } from '../../actors/runner.ts';
import { type HostRow, registerHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { type Fleet, type SimHost, startFleet } from '../sim/fleet.ts';
import { useTestDatabase } from '../support/db.ts';
import { pinned } from '../support/env.ts';

const db = useTestDatabase();
const secrets = createSecretBox(randomBytes(32));

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const register = (host: SimHost): Promise<HostRow> =>
  registerHost(db.sql, secrets, {
    ...pinned(host),
    credential: { secret: { type: 'privateKey', privateKey: host.privateKey ?? '' } },
  });

interface ProbeRow {
  type: string;
  status: string;
  errorCode: string | null;
}

const probesOf = (hostId: string) =>
  db.sql<ProbeRow[]>`
    select type, status, error_code as "errorCode" from intel_probes
    where host_id = ${hostId} order by started_at`;

const ok = async (hostId: string, since = 0) =>
  (await probesOf(hostId)).slice(since).filter((p) => p.type === 'metrics' && p.status === 'ok')
    .length;
const refused = async (hostId: string, since: number) =>
  (await probesOf(hostId))
    .slice(since)
    .some((p) => p.type === 'metrics' && p.errorCode === 'host-key-changed');

describe('runner with an SSH connection pool for metrics probes', () => {
  let fleet: Fleet | undefined;
  let runner: Runner | undefined;
  afterAll(async () => {
    await runner?.stop(2_000);
    await fleet?.stop();
  });

  // One test: kept connections outlive a test by design, and every test must end with no SSH
  // connection open (test/support/leak-check.ts), so the runner is stopped at its end.
  it('keeps metrics connections, connects facts anew, and verifies host keys on each connection', async () => {
    fleet = await startFleet({ hosts: 2, seed: 'runner-ssh-pool' });
    const hosts: HostRow[] = [];
    for (const host of fleet.hosts) hosts.push(await register(host));
    const [first, second] = hosts;
    const [sim0, sim1] = fleet.hosts;
    if (!first || !second || !sim0 || !sim1) throw new Error('two hosts');
    runner = await startRunner({
      sql: db.sql,
      secrets,
      log: pino({ level: 'silent' }),
      limits: { global: 2, perGroup: 2 },
      defaults: {
        startupSpreadMs: 0,
        metricsIntervalMs: 500,
        jitterRatio: 0,
        backoffBaseMs: 500,
        backoffFloorMs: 100,
      },
      sshPool: { maxOpen: 10, idleMs: 60_000 },
    });
    const pool = () => {
      const stats = runner?.sshPool?.stats();
      if (!stats) throw new Error('the runner has no pool');
      return stats;
    };

    // 1. Each host: a facts probe on its own connection, then metrics probes on one kept one.
    await until('five metrics probes of each host', async () =>
      (await Promise.all(hosts.map((h) => ok(h.id)))).every((n) => n >= 5),
    );
    const stats = pool();
    const accepted = fleet.stats().connections;
    const [row] = await db.sql<{ facts: number; metrics: number }[]>`
      select count(*) filter (where type = 'facts')::int as facts,
        count(*) filter (where type = 'metrics')::int as metrics
      from intel_probes where status = 'ok'`;
    const metrics = row?.metrics ?? 0;
    expect(row?.facts).toBe(2); // each host's first probe; the next is an hour away
    expect(metrics).toBeGreaterThanOrEqual(10);
    expect(stats.connected).toBe(2);
    expect(stats.reused).toBeGreaterThanOrEqual(metrics - 2);
    expect(stats.stale).toBe(0);
    // What the simulated hosts accepted: one connection per facts probe, one per host since.
    expect(accepted).toBe(2 + 2);
    expect(stats.open).toBeLessThanOrEqual(2);

    // 2. Host 0 pinned to another key: its kept connection (verified against the old key) is
    // not used; the new one is dialled and refused by the host-key check.
    let since = (await probesOf(first.id)).length;
    await db.sql`update hosts set host_key = ${sim1.hostKey} where id = ${first.id}`;
    await until('a metrics probe of host 0 refused for its host key', () =>
      refused(first.id, since),
    );
    expect(fleet.stats().connections).toBeGreaterThan(accepted);
    expect(await ok(first.id, since)).toBe(0);
    // Pinned back: probes succeed again.
    await db.sql`update hosts set host_key = ${sim0.hostKey} where id = ${first.id}`;
    since = (await probesOf(first.id)).length;
    await until('metrics probes of host 0 ok again', async () => (await ok(first.id, since)) > 0);

    // 3. Host 1 reinstalled with a new key. Its kept connection outlives the rotation, as an
    // open ssh session does; once the host drops it (a hang fault, lifted, drops its
    // connections), the next probe reconnects and is refused.
    since = (await probesOf(second.id)).length;
    fleet.rotateHostKey(1);
    fleet.setFault(1, { type: 'hang' });
    fleet.setFault(1, null);
    await until('a metrics probe of host 1 refused for its host key', () =>
      refused(second.id, since),
    );
    const after = (await probesOf(second.id)).slice(since);
    const firstRefusal = after.findIndex((p) => p.errorCode === 'host-key-changed');
    expect(after.slice(firstRefusal).every((p) => p.status !== 'ok')).toBe(true);

    await runner.stop(2_000);
    expect(pool().open).toBe(0);
  });
});
