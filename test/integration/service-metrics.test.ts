// GET /metrics through createApp on a real database: the bearer token is verified exactly as
// for /v1 (hashed lookup, revocation), and the body is the Prometheus text of the app's own
// registry — or the process metrics alone when the app was given none (serve --role api).
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { countActors, createServiceMetrics } from '../../actors/service-metrics.ts';
import { createApp } from '../../http/app.ts';
import { createNullControl } from '../../http/host-control.ts';
import { METRICS_CONTENT_TYPE } from '../../http/service-metrics.ts';
import { checkReadiness } from '../../sql/readiness.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { createToken, revokeToken, type Role } from '../../sql/tokens.ts';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase();
const tokens = {} as Record<Role, string>;
let revoked = '';

function app(serviceMetrics?: ReturnType<typeof createServiceMetrics>) {
  return createApp({
    sql: db.sql,
    readiness: () => checkReadiness(db.sql),
    secrets: createSecretBox(Buffer.alloc(32, 7)),
    control: createNullControl(),
    logger: pino({ level: 'silent' }),
    ...(serviceMetrics ? { serviceMetrics } : {}),
  });
}

const get = (target: ReturnType<typeof app>, token?: string) =>
  target.request('/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : {});

beforeAll(async () => {
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = (await createToken(db.sql, { name: `metrics ${role}`, role })).token;
  }
  const gone = await createToken(db.sql, { name: 'metrics revoked', role: 'admin' });
  await revokeToken(db.sql, gone.row.id);
  revoked = gone.token;
});

describe('GET /metrics', () => {
  it('needs a bearer token: none, an unknown one and a revoked one are 401', async () => {
    const target = app(createServiceMetrics());
    const none = await get(target);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="hostintel"');
    expect(await none.text()).not.toContain('hostintel_probes_total');

    const unknown = await get(target, `hi_${'x'.repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await get(target, revoked)).status).toBe(401);
  });

  it('answers a viewer (and every higher role) with the Prometheus text of the app', async () => {
    const metrics = createServiceMetrics();
    metrics.probeFinished({ type: 'facts', outcome: 'ok', durationMs: 730 });
    metrics.probeFinished({ type: 'metrics', outcome: 'timeout', durationMs: 120_000 });
    metrics.dbWrite('probe', 4.2);
    metrics.watchActors(() =>
      countActors([
        { state: 'idle', unreachable: false },
        { state: 'backoff', unreachable: true },
      ]),
    );
    metrics.watchQueue(() => ({ queued: 5, active: 32 }));
    const target = app(metrics);

    const res = await get(target, tokens.viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(METRICS_CONTENT_TYPE).toBe(res.headers.get('content-type'));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = (await res.text()).split('\n');
    for (const line of [
      '# TYPE hostintel_probes_total counter',
      'hostintel_probes_total{type="facts",outcome="ok"} 1',
      'hostintel_probes_total{type="metrics",outcome="timeout"} 1',
      'hostintel_probes_total{type="facts",outcome="failed"} 0',
      '# TYPE hostintel_probe_duration_seconds histogram',
      'hostintel_probe_duration_seconds_bucket{le="1",type="facts"} 1',
      'hostintel_probe_duration_seconds_bucket{le="60",type="metrics"} 0',
      'hostintel_probe_duration_seconds_bucket{le="120",type="metrics"} 1',
      'hostintel_db_write_duration_seconds_count{kind="probe"} 1',
      'hostintel_db_write_duration_seconds_bucket{le="0.005",kind="probe"} 1',
      'hostintel_actors{state="idle"} 1',
      'hostintel_actors{state="backoff"} 1',
      'hostintel_actors{state="probing"} 0',
      'hostintel_actors_unreachable 1',
      'hostintel_probe_queue_depth 5',
      'hostintel_probes_running 32',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);

    for (const role of ['operator', 'admin'] as const) {
      expect((await get(target, tokens[role])).status, role).toBe(200);
    }
  });

  it('answers with the process metrics alone when the app has no service metrics', async () => {
    const res = await get(app(), tokens.viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
    const text = await res.text();
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(text).not.toContain('hostintel_');
  });

  it('stays out of the OpenAPI document', async () => {
    const target = app(createServiceMetrics());
    const doc = (await (await target.request('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/v1/hosts');
  });
});
