// The runner against a real database: the supervisor follows the host table through
// LISTEN/NOTIFY — no reconcile call, no restart — and probes stay within the limit.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, startRunner } from '../../actors/runner.ts';
import { deleteHost, type NewHost, updateHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { useTestDatabase } from '../support/db.ts';
import { registerDevHost, testHost } from '../support/env.ts';

const db = useTestDatabase();
const secrets = createSecretBox(randomBytes(32));
let runner: Runner;

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const register = (name: string, extra: Partial<NewHost> = {}) =>
  registerDevHost(db.sql, secrets, name, testHost('deb12'), extra);

beforeAll(async () => {
  runner = await startRunner({
    sql: db.sql,
    secrets,
    log: pino({ level: 'silent' }),
    limits: { global: 2, perGroup: 2 },
    // No scheduled probe during the test: probes are requested, so none is left in flight.
    defaults: { startupSpreadMs: 3_600_000 },
  });
});
afterAll(async () => {
  await runner.stop(2_000);
});

describe('runner', () => {
  it('spawns, pauses, resumes and stops host actors as rows change', async () => {
    const { supervisor } = runner;
    const a = await register('runner-a');
    const b = await register('runner-b');
    await until('two actors', () => supervisor.size === 2);

    await updateHost(db.sql, secrets, b.id, { enabled: false });
    await until('b paused', () => supervisor.view(b.id)?.state === 'paused');

    await updateHost(db.sql, secrets, b.id, { enabled: true, metricsIntervalS: 3600 });
    await until('b resumed', () => supervisor.view(b.id)?.state !== 'paused');

    await deleteHost(db.sql, b.id);
    await until('b stopped', () => supervisor.view(b.id) === null);
    expect(supervisor.view(a.id)).not.toBeNull();
  });

  it('probes new hosts and never exceeds the concurrency limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await register(`runner-c${i}`)).id);
    await until('six more actors', () => ids.every((id) => runner.supervisor.view(id) !== null));
    for (const id of ids) expect(runner.supervisor.requestProbe(id).accepted).toBe(true);
    await until(
      'a finished probe of each new host',
      () => ids.every((id) => runner.supervisor.view(id)?.lastProbe?.outcome === 'ok'),
      60_000,
    );
    expect(runner.limiter.stats().maxActive).toBeLessThanOrEqual(2);
    const [row] = await db.sql<{ n: number }[]>`
      select count(distinct host_id)::int as n from intel_probes where status = 'ok'`;
    expect(row?.n).toBeGreaterThanOrEqual(6);
  });
});
