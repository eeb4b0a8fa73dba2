// host_probe_state (migration 033) is what the fleet summary reads instead of the probe log:
// for any sequence of recorded probes, in any arrival order, it must hold exactly what the log
// says — each host's latest finished probe and the collector statuses of its latest facts
// probe, "latest" being the greatest (started_at, id).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { seededRng } from '../support/rng.ts';
import { createHosts } from './storage-fixtures.ts';

const STATUSES = ['ok', 'partial', 'failed', 'timeout'] as const;
const COLLECTOR_STATUSES = ['ok', 'failed', 'needs-privilege', 'unsupported'] as const;
const T0 = Date.UTC(2026, 10, 1);

describe.each([
  { database: 'TimescaleDB', timescale: true },
  { database: 'plain PostgreSQL', timescale: false },
])('host_probe_state on $database', ({ timescale }) => {
  const db = useTestDatabase({ timescale });

  it('matches the probe log for probes recorded in random order, some with equal starts', async () => {
    const rng = seededRng(33);
    const hosts = await createHosts(db.sql, `state-${timescale}`, 6);
    const probes = Array.from({ length: 400 }, () => {
      const type = rng.chance(0.3) ? 'facts' : 'metrics';
      // Few distinct instants: ties on started_at are decided by id, as the log orders them.
      const startedAt = new Date(T0 + rng.int(0, 60) * 60_000);
      const collectors = Object.fromEntries(
        (type === 'facts' ? ['os', 'packages', 'users'] : ['metrics']).map((name) => [
          name,
          { status: rng.pick(COLLECTOR_STATUSES), durationMs: rng.int(0, 50) },
        ]),
      );
      return {
        id: randomUUID(),
        host_id: rng.pick(hosts),
        type,
        started_at: startedAt,
        finished_at: new Date(startedAt.getTime() + rng.int(0, 5_000)),
        status: rng.pick(STATUSES),
        collectors,
      };
    });
    // Arrival order is random, one row or several per statement.
    for (let i = 0; i < probes.length; ) {
      const batch = probes.slice(i, i + rng.int(1, 7));
      i += batch.length;
      await db.sql`
        insert into intel_probes (id, host_id, type, started_at, finished_at, status, collectors)
        select * from jsonb_to_recordset(${JSON.stringify(batch)}::text::jsonb) as r(id uuid,
          host_id uuid, type text, started_at timestamptz, finished_at timestamptz, status text,
          collectors jsonb)`;
    }
    const fromLog = await db.sql`
      select h.id as host_id, l.id as last_id, l.status as last_status,
        l.finished_at as last_finished_at, f.id as facts_id,
        (select jsonb_object_agg(key, value ->> 'status') from jsonb_each(f.collectors))
          as facts_collectors
      from hosts h
      join lateral (select * from intel_probes where host_id = h.id
        order by started_at desc, id desc limit 1) l on true
      left join lateral (select * from intel_probes where host_id = h.id and type = 'facts'
        order by started_at desc, id desc limit 1) f on true
      where h.id = any(${hosts}::uuid[]) order by 1`;
    const state = await db.sql`
      select host_id, last_id, last_status, last_finished_at, facts_id, facts_collectors
      from host_probe_state where host_id = any(${hosts}::uuid[]) order by 1`;
    expect(fromLog).toHaveLength(hosts.length);
    expect(state).toEqual(fromLog);
  });

  it('goes with its host', async () => {
    const [host] = await createHosts(db.sql, `gone-${timescale}`, 1);
    await db.sql`
      insert into intel_probes (id, host_id, type, started_at, finished_at, status)
      values (${randomUUID()}, ${host as string}, 'metrics', now(), now(), 'ok')`;
    expect(
      await db.sql`select 1 from host_probe_state where host_id = ${host as string}`,
    ).toHaveLength(1);
    await db.sql`delete from hosts where id = ${host as string}`;
    expect(
      await db.sql`select 1 from host_probe_state where host_id = ${host as string}`,
    ).toHaveLength(0);
  });
});
