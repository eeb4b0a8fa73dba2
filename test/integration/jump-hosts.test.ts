// A host behind a jump host, probed by the runner: the hop is a registered host whose own
// credential and pinned key are used; an unknown hop or a hop whose key changed fails the
// probe with its reason on the record, and the target's stored facts stay as they were.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, startRunner } from '../../actors/runner.ts';
import { setJumpHost } from '../../sql/hosts.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { useTestDatabase } from '../support/db.ts';
import { registerDevHost, type TestHost, testHost } from '../support/env.ts';

const db = useTestDatabase();
const secrets = createSecretBox(randomBytes(32));
let runner: Runner;
let behindId: string;
let bastionId: string;

const register = (name: string, host: TestHost) => registerDevHost(db.sql, secrets, name, host);

interface ProbeRow {
  status: string;
  error: string | null;
  error_code: string | null;
}

/** Requests a probe of the host behind the jump and waits for its row in the probe log. */
async function probeBehind(): Promise<ProbeRow> {
  const before = await db.sql<{ n: number }[]>`
    select count(*)::int as n from intel_probes where host_id = ${behindId}`;
  const deadline = Date.now() + 30_000;
  while (!runner.supervisor.requestProbe(behindId).accepted) {
    if (Date.now() > deadline) throw new Error('the probe was never accepted');
    await new Promise((r) => setTimeout(r, 100));
  }
  for (;;) {
    const rows = await db.sql<ProbeRow[]>`
      select status, error, error_code from intel_probes
      where host_id = ${behindId} and status <> 'running' order by started_at`;
    const row = rows[before[0]?.n ?? 0];
    if (row) return row;
    if (Date.now() > deadline) throw new Error('no probe finished');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const factRows = () =>
  db.sql`select id, kind, key, value_hash, valid_from, valid_to from host_facts
    where host_id = ${behindId} order by kind, key, valid_from`;

beforeAll(async () => {
  bastionId = (await register('bastion', testHost('deb12'))).id;
  behindId = (await register('behind', testHost('deb13'))).id;
  await setJumpHost(db.sql, behindId, 'bastion');
  runner = await startRunner({
    sql: db.sql,
    secrets,
    log: pino({ level: 'silent' }),
    // No scheduled probe during the test: each probe is requested, one right after another.
    defaults: { startupSpreadMs: 3_600_000, refreshDebounceMs: 0 },
  });
});
afterAll(async () => {
  await runner?.stop(2_000);
});

describe('a host behind a jump host', () => {
  it('is probed through the registered jump host', async () => {
    const probe = await probeBehind();
    expect(probe).toMatchObject({ status: 'ok', error: null });
    const [os] = await db.sql<{ value: { versionId: string } }[]>`
      select value from host_facts where host_id = ${behindId} and kind = 'os'
        and valid_to is null`;
    expect(os?.value.versionId).toBe('13');
  });

  it('fails on the jump host’s changed key, as the jump’s failure, facts untouched', async () => {
    const facts = await factRows();
    // The bastion now "presents" a key other than its pin: only the hop can refuse this.
    await db.sql`update hosts set host_key = ${testHost('deb13').hostKey} where id = ${bastionId}`;
    const probe = await probeBehind();
    expect(probe.status).toBe('failed');
    expect(probe.error_code).toBe('jump-host');
    expect(probe.error).toContain(`jump host ${testHost('deb12').address}:`);
    expect(await factRows()).toEqual(facts);
    const events = await db.sql`
      select type from host_events where host_id = ${behindId} and type = 'host-key-changed'`;
    expect(events).toHaveLength(0); // the target's own key is not in question
    await db.sql`update hosts set host_key = ${testHost('deb12').hostKey} where id = ${bastionId}`;
  });

  it('refuses a jump host that is not registered, with the reason on the record', async () => {
    const facts = await factRows();
    await setJumpHost(db.sql, behindId, 'ops@unknown-bastion:2222');
    const probe = await probeBehind();
    expect(probe.status).toBe('failed');
    expect(probe.error_code).toBe('jump-host');
    expect(probe.error).toContain('"unknown-bastion" is not a registered host');
    expect(await factRows()).toEqual(facts);
    expect(runner.supervisor.view(behindId)?.lastProbe?.outcome).toBe('failed');
  });

  it('probes again once the jump host is fixed', async () => {
    await setJumpHost(db.sql, behindId, `${testHost('deb12').address}:${testHost('deb12').port}`);
    expect((await probeBehind()).status).toBe('ok');
  });
});
