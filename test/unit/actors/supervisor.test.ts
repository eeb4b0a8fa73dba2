import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeInput } from '../../../actors/host-machine.ts';
import { ProbeLimiter } from '../../../actors/limiter.ts';
import { type SupervisedHost, Supervisor } from '../../../actors/supervisor.ts';

const fast = { startupSpreadMs: 5, metricsIntervalMs: 200, factsIntervalMs: 400 };
const host = (id: string, extra: Partial<SupervisedHost> = {}): SupervisedHost => ({
  id,
  enabled: true,
  groups: [],
  settings: {},
  version: '1',
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let supervisor: Supervisor | undefined;
afterEach(() => supervisor?.stop());

function start(hosts: SupervisedHost[], limits = { global: 32, perGroup: 32 }) {
  const probes: (ProbeInput & { probeId: string })[] = [];
  let running = 0;
  let maxRunning = 0;
  const limiter = new ProbeLimiter(limits);
  supervisor = new Supervisor({
    loadHosts: async () => hosts,
    limiter,
    defaults: fast,
    runProbe: async (input) => {
      probes.push(input);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
      return { probeId: input.probeId, outcome: 'ok', durationMs: 10 };
    },
  });
  return { supervisor, probes, limiter, maxRunning: () => maxRunning };
}

describe('Supervisor', () => {
  it('spawns, pauses, resumes, reconfigures and stops actors as the table changes', async () => {
    const hosts = [host('a'), host('b')];
    const { supervisor, probes } = start(hosts);
    await supervisor.reconcile();
    expect(supervisor.size).toBe(2);
    await sleep(60);
    expect(new Set(probes.map((p) => p.hostId))).toEqual(new Set(['a', 'b']));

    hosts[1] = host('b', { enabled: false, version: '2' });
    await supervisor.reconcile();
    expect(supervisor.view('b')?.state).toBe('paused');

    hosts[1] = host('b', { enabled: true, version: '3', settings: { metricsIntervalMs: 60_000 } });
    await supervisor.reconcile();
    expect(supervisor.view('b')?.state).not.toBe('paused');

    hosts.splice(0, 1);
    hosts.push(host('c'));
    await supervisor.reconcile();
    expect(supervisor.view('a')).toBeNull();
    expect(
      supervisor
        .views()
        .map((v) => v.hostId)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('never runs more probes at once than the global limit', { timeout: 30_000 }, async () => {
    const hosts = Array.from({ length: 40 }, (_, i) => host(`h${i}`));
    const { supervisor, limiter, maxRunning, probes } = start(hosts, { global: 3, perGroup: 3 });
    await supervisor.reconcile();
    for (
      let waited = 0;
      new Set(probes.map((p) => p.hostId)).size < 40 && waited < 20_000;
      waited += 20
    ) {
      await sleep(20);
    }
    expect(new Set(probes.map((p) => p.hostId)).size).toBe(40);
    expect(maxRunning()).toBe(3);
    expect(limiter.stats().maxActive).toBe(3);
  });

  it('answers a manual probe with the id the probe then uses, and refuses a second one', async () => {
    const { supervisor, probes } = start([
      host('a', {
        settings: {
          startupSpreadMs: 60_000,
          factsIntervalMs: 3_600_000,
          metricsIntervalMs: 60_000,
        },
      }),
    ]);
    await supervisor.reconcile();
    const first = supervisor.requestProbe('a');
    expect(first.accepted).toBe(true);
    const second = supervisor.requestProbe('a');
    expect(second).toMatchObject({ accepted: false });
    await sleep(30);
    expect(probes.at(-1)?.probeId).toBe(first.accepted ? first.probeId : 'none');
    expect(probes.at(-1)?.reason).toBe('manual');
    expect(supervisor.requestProbe('nope')).toMatchObject({
      accepted: false,
      reason: 'unknown-host',
    });
  });

  it('streams state transitions', async () => {
    const { supervisor } = start([host('a')]);
    const seen: string[] = [];
    supervisor.subscribe((t) => seen.push(t.view.state));
    await supervisor.reconcile();
    await sleep(50);
    expect(seen).toContain('probing');
  });
});
