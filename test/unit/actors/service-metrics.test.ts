import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeInput, ProbeOutcome, ProbeOutput } from '../../../actors/host-machine.ts';
import { ProbeLimiter } from '../../../actors/limiter.ts';
import {
  countActors,
  createServiceMetrics,
  PROBE_DURATION_BUCKETS,
  type ServiceMetrics,
  timeDbWrite,
} from '../../../actors/service-metrics.ts';
import { type SupervisedHost, Supervisor } from '../../../actors/supervisor.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (what a scraper reads). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels; fails when there is none. */
async function value(
  metrics: ServiceMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const found = parseExposition(await metrics.metrics()).filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return (found[0] as Sample).value;
}

describe('createServiceMetrics', () => {
  it('counts probes by type and outcome, with every known series present from the start', async () => {
    const metrics = createServiceMetrics();
    for (const type of ['facts', 'metrics']) {
      for (const outcome of ['ok', 'partial', 'failed', 'timeout']) {
        expect(await value(metrics, 'hostintel_probes_total', { type, outcome })).toBe(0);
      }
    }
    metrics.probeFinished({ type: 'facts', outcome: 'ok', durationMs: 40 });
    metrics.probeFinished({ type: 'facts', outcome: 'ok', durationMs: 730 });
    metrics.probeFinished({ type: 'facts', outcome: 'timeout', durationMs: 120_000 });
    metrics.probeFinished({ type: 'metrics', outcome: 'partial', durationMs: 2500 });

    expect(await value(metrics, 'hostintel_probes_total', { type: 'facts', outcome: 'ok' })).toBe(
      2,
    );
    expect(
      await value(metrics, 'hostintel_probes_total', { type: 'facts', outcome: 'timeout' }),
    ).toBe(1);
    expect(
      await value(metrics, 'hostintel_probes_total', { type: 'metrics', outcome: 'partial' }),
    ).toBe(1);
    expect(await value(metrics, 'hostintel_probes_total', { type: 'metrics', outcome: 'ok' })).toBe(
      0,
    );
  });

  it('puts probe durations into cumulative buckets in seconds, 0.05 s to 120 s', async () => {
    const metrics = createServiceMetrics();
    expect(PROBE_DURATION_BUCKETS[0]).toBe(0.05);
    expect(PROBE_DURATION_BUCKETS.at(-1)).toBe(120);
    metrics.probeFinished({ type: 'facts', outcome: 'ok', durationMs: 40 });
    metrics.probeFinished({ type: 'facts', outcome: 'ok', durationMs: 730 });
    metrics.probeFinished({ type: 'facts', outcome: 'timeout', durationMs: 120_000 });
    metrics.probeFinished({ type: 'metrics', outcome: 'ok', durationMs: 2500 });

    const bucket = (type: string, le: string) =>
      value(metrics, 'hostintel_probe_duration_seconds_bucket', { type, le });
    expect(await bucket('facts', '0.05')).toBe(1);
    expect(await bucket('facts', '0.5')).toBe(1);
    expect(await bucket('facts', '1')).toBe(2);
    expect(await bucket('facts', '60')).toBe(2);
    expect(await bucket('facts', '120')).toBe(3); // le is inclusive: the timeout itself
    expect(await bucket('facts', '+Inf')).toBe(3);
    expect(await bucket('metrics', '1')).toBe(0);
    expect(await bucket('metrics', '2.5')).toBe(1);
    const sum = await value(metrics, 'hostintel_probe_duration_seconds_sum', { type: 'facts' });
    expect(sum).toBeCloseTo(120.77, 9);
    expect(await value(metrics, 'hostintel_probe_duration_seconds_count', { type: 'facts' })).toBe(
      3,
    );
    const text = await metrics.registry.getSingleMetricAsString('hostintel_probe_duration_seconds');
    expect(text).toContain('# TYPE hostintel_probe_duration_seconds histogram');
  });

  it('records database write latency and failures by kind', async () => {
    const metrics = createServiceMetrics();
    metrics.dbWrite('probe', 3.2);
    metrics.dbWrite('metrics', 40);
    metrics.dbWrite('metrics', 700, true);

    const kind = (k: string) => ({ kind: k });
    expect(await value(metrics, 'hostintel_db_write_duration_seconds_count', kind('probe'))).toBe(
      1,
    );
    expect(
      await value(metrics, 'hostintel_db_write_duration_seconds_bucket', {
        kind: 'probe',
        le: '0.005',
      }),
    ).toBe(1);
    expect(
      await value(metrics, 'hostintel_db_write_duration_seconds_bucket', {
        kind: 'probe',
        le: '0.0025',
      }),
    ).toBe(0);
    expect(await value(metrics, 'hostintel_db_write_duration_seconds_sum', kind('metrics'))).toBe(
      0.74,
    );
    expect(await value(metrics, 'hostintel_db_write_errors_total', kind('metrics'))).toBe(1);
    expect(await value(metrics, 'hostintel_db_write_errors_total', kind('probe'))).toBe(0);
  });

  it('timeDbWrite times a write, counts a failed one and passes its result or error on', async () => {
    const metrics = createServiceMetrics();
    const slow = () => new Promise<string>((r) => setTimeout(() => r('stored'), 20));
    await expect(timeDbWrite(metrics, 'probe', slow)).resolves.toBe('stored');
    const refused = new Error('connection refused');
    await expect(timeDbWrite(metrics, 'probe', () => Promise.reject(refused))).rejects.toBe(
      refused,
    );
    await expect(timeDbWrite(undefined, 'probe', slow)).resolves.toBe('stored');

    expect(
      await value(metrics, 'hostintel_db_write_duration_seconds_count', { kind: 'probe' }),
    ).toBe(2);
    expect(await value(metrics, 'hostintel_db_write_errors_total', { kind: 'probe' })).toBe(1);
    // A timer of 20 ms can fire a hair early; the write took at least most of it.
    expect(
      await value(metrics, 'hostintel_db_write_duration_seconds_sum', { kind: 'probe' }),
    ).toBeGreaterThanOrEqual(0.015);
  });

  it('reads actor and queue gauges from their sources at scrape time, once per scrape', async () => {
    const metrics = createServiceMetrics();
    expect(await value(metrics, 'hostintel_actors', { state: 'idle' })).toBe(0);
    expect(await value(metrics, 'hostintel_probe_queue_depth')).toBe(0);

    let calls = 0;
    const first = {
      byState: { idle: 5, probing: 3, backoff: 2, paused: 1 },
      unreachable: 2,
    };
    const detach = metrics.watchActors(() => {
      calls++;
      return first;
    });
    metrics.watchActors(() => countActors([{ state: 'probing', unreachable: true }]));
    const queue = { queued: 7, active: 3 };
    metrics.watchQueue(() => queue);

    const samples = parseExposition(await metrics.metrics());
    expect(calls).toBe(1); // hostintel_actors and hostintel_actors_unreachable share one read
    const actors = Object.fromEntries(
      samples.filter((s) => s.name === 'hostintel_actors').map((s) => [s.labels.state, s.value]),
    );
    expect(actors).toEqual({ idle: 5, probing: 4, backoff: 2, paused: 1 });
    expect(await value(metrics, 'hostintel_actors_unreachable')).toBe(3);
    expect(await value(metrics, 'hostintel_probe_queue_depth')).toBe(7);
    expect(await value(metrics, 'hostintel_probes_running')).toBe(3);

    first.byState.idle = 9; // a source is read anew on every scrape
    queue.queued = 0;
    expect(await value(metrics, 'hostintel_actors', { state: 'idle' })).toBe(9);
    expect(await value(metrics, 'hostintel_probe_queue_depth')).toBe(0);

    detach();
    expect(await value(metrics, 'hostintel_actors', { state: 'idle' })).toBe(0);
    expect(await value(metrics, 'hostintel_actors', { state: 'probing' })).toBe(1);
  });

  it('keeps each registry apart and never touches the global one', async () => {
    const a = createServiceMetrics();
    const b = createServiceMetrics();
    a.probeFinished({ type: 'metrics', outcome: 'failed', durationMs: 100 });
    expect(await value(a, 'hostintel_probes_total', { type: 'metrics', outcome: 'failed' })).toBe(
      1,
    );
    expect(await value(b, 'hostintel_probes_total', { type: 'metrics', outcome: 'failed' })).toBe(
      0,
    );
    expect(globalRegistry.getMetricsAsArray()).toHaveLength(0);
  });

  it('exposes the default Node process metrics', async () => {
    const names = new Set(
      parseExposition(await createServiceMetrics().metrics()).map((s) => s.name),
    );
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(names, name).toContain(name);
    }
    const start = await value(createServiceMetrics(), 'process_start_time_seconds');
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
  });

  it('countActors partitions views by state and counts the unreachable flag apart', () => {
    expect(
      countActors([
        { state: 'idle', unreachable: false },
        { state: 'backoff', unreachable: true },
        { state: 'backoff', unreachable: false },
        { state: 'probing', unreachable: true },
        { state: 'paused', unreachable: false },
      ]),
    ).toEqual({ byState: { idle: 1, probing: 1, backoff: 2, paused: 1 }, unreachable: 2 });
  });
});

// The wiring the runner gets (see the report): a real Supervisor and ProbeLimiter, a fake probe
// that holds each host until the test lets it finish, and the metrics read over the exposition.
describe('service metrics of a real Supervisor and ProbeLimiter', () => {
  let supervisor: Supervisor | undefined;
  afterEach(() => supervisor?.stop());

  const host = (id: string, extra: Partial<SupervisedHost> = {}): SupervisedHost => ({
    id,
    enabled: true,
    groups: ['rack1'],
    settings: {},
    version: '1',
    ...extra,
  });

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !condition(); waited += 5) {
      if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('follows actors by state, queue depth, and probes by outcome', async () => {
    const metrics = createServiceMetrics();
    const limiter = new ProbeLimiter({ global: 4, perGroup: 1 });
    const outcomes: Record<string, { outcome: ProbeOutcome; durationMs: number }> = {
      a: { outcome: 'ok', durationMs: 40 },
      b: { outcome: 'partial', durationMs: 730 },
      c: { outcome: 'failed', durationMs: 2500 },
    };
    const held = new Map<string, () => void>();
    const started: string[] = [];
    const emitted: string[] = [];
    const hosts = [host('a'), host('b'), host('c')];
    supervisor = new Supervisor({
      limiter,
      // Facts due at once (a spread > 0 can let a boundary tick start metrics first), then
      // nothing due for a minute (30 s after a failure); one failure marks a host unreachable.
      defaults: {
        startupSpreadMs: 0,
        metricsIntervalMs: 60_000,
        backoffFloorMs: 30_000,
        unreachableAfter: 1,
      },
      loadHosts: async () => hosts,
      runProbe: async (input: ProbeInput & { probeId: string }): Promise<ProbeOutput> => {
        started.push(`${input.hostId} ${input.type}`);
        await new Promise<void>((release) => held.set(input.hostId, release));
        const { outcome, durationMs } = outcomes[input.hostId] as (typeof outcomes)['a'];
        return { probeId: input.probeId, outcome, durationMs };
      },
      onEmitted: (event) => {
        emitted.push(event.type);
        if (event.type === 'probe.completed') {
          metrics.probeFinished({
            type: event.probeType,
            outcome: event.outcome,
            durationMs: event.durationMs,
          });
        }
      },
    });
    const s = supervisor;
    metrics.watchActors(() => countActors(s.views()));
    metrics.watchQueue(() => limiter.stats());
    const actors = async () =>
      Object.fromEntries(
        parseExposition(await metrics.metrics())
          .filter((x) => x.name === 'hostintel_actors')
          .map((x) => [x.labels.state, x.value]),
      );

    await s.reconcile();
    // All three in one group of one slot: one probe runs, two wait for the slot.
    await until(() => held.size === 1 && limiter.stats().queued === 2, 'one running, two queued');
    expect(await actors()).toEqual({ idle: 0, probing: 3, backoff: 0, paused: 0 });
    expect(await value(metrics, 'hostintel_probe_queue_depth')).toBe(2);
    expect(await value(metrics, 'hostintel_probes_running')).toBe(1);

    const completed = () => emitted.filter((e) => e === 'probe.completed').length;
    for (const stillWaiting of [2, 1, 0]) {
      const [id, release] = [...held.entries()][0] ?? [];
      if (!id || !release) throw new Error('no probe holds the slot');
      held.delete(id);
      release();
      await until(() => completed() === 3 - stillWaiting, `the probe of ${id} to finish`);
      if (stillWaiting > 0) await until(() => held.size === 1, 'the next probe to get the slot');
      expect(await value(metrics, 'hostintel_probe_queue_depth')).toBe(
        Math.max(stillWaiting - 1, 0),
      );
      expect(await value(metrics, 'hostintel_probes_running')).toBe(stillWaiting > 0 ? 1 : 0);
    }

    expect(started.sort()).toEqual(['a facts', 'b facts', 'c facts']);
    // a and b are idle until their next metrics probe; c failed and backs off, unreachable.
    expect(await actors()).toEqual({ idle: 2, probing: 0, backoff: 1, paused: 0 });
    expect(await value(metrics, 'hostintel_actors_unreachable')).toBe(1);
    expect(emitted).toContain('unreachable');
    const probes = (outcome: string) =>
      value(metrics, 'hostintel_probes_total', { type: 'facts', outcome });
    expect([await probes('ok'), await probes('partial'), await probes('failed')]).toEqual([
      1, 1, 1,
    ]);
    expect(
      await value(metrics, 'hostintel_probe_duration_seconds_sum', { type: 'facts' }),
    ).toBeCloseTo(3.27, 9);

    hosts[0] = host('a', { enabled: false, version: '2' });
    await s.reconcile();
    expect(await actors()).toEqual({ idle: 1, probing: 0, backoff: 1, paused: 1 });
  });
});
