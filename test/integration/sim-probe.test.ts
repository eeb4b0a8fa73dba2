// The fleet simulator against hostintel's real probe: healthy simulated hosts give exactly the
// facts they serve, drift shows up as the changes it made, each injected fault ends as the
// outcome and reason hostintel promises, and the simulator outlives all of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProbeResult, probe } from '../../collectors/probe.ts';
import { computeRates } from '../../collectors/rates.ts';
import { collectors } from '../../collectors/registry.ts';
import { sectionsOf } from '../../collectors/section.ts';
import type { SshTarget } from '../../collectors/transport.ts';
import type { Fact, Section } from '../../collectors/types.ts';
import { type Fleet, type SimHost, startFleet } from '../sim/fleet.ts';
import { simTargetFor } from '../support/ssh.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const SHARED = path.resolve(import.meta.dirname, '../../../shared/fixtures');

const FAST = { probeTimeoutMs: 5_000, connectTimeoutMs: 5_000 };

function factsOf(result: ProbeResult, collector: string, kind?: string): Fact[] {
  const facts = result.collectors[collector]?.facts ?? [];
  return kind ? facts.filter((f) => f.kind === kind) : [...facts];
}

function summary(result: ProbeResult): string {
  const statuses = Object.entries(result.collectors).map(
    ([name, c]) => `${name}:${c.status}${c.error ? ` (${c.error})` : ''}`,
  );
  const head = `${result.outcome} ${result.errorCode ?? ''} ${result.error ?? ''}`;
  return `${head}\n${statuses.join('\n')}`;
}

/** The facts a collector makes of what the simulated host answers right now (sudo granted). */
function servedFacts(fleet: Fleet, index: number, name: string): readonly Fact[] {
  const collector = collectors.find((c) => c.name === name);
  if (!collector) throw new Error(`no collector ${name}`);
  const model = fleet.model(index);
  const outputs: Record<string, Partial<Section>> = {};
  for (const command of collector.commands) {
    const answer = model.answer(command.id, command.root !== undefined, fleet.now());
    outputs[command.id] = { stdout: answer.stdout, exitCode: answer.rc, stderrTail: answer.stderr };
  }
  return collector.parse(sectionsOf(outputs)).facts ?? [];
}

const passwdNames = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(':')[0])
    .sort();

describe('a simulated fleet probed by hostintel', () => {
  let fleet: Fleet;
  const healthy = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

  beforeAll(async () => {
    fleet = await startFleet({
      hosts: 21,
      seed: 'sim-probe',
      distros: { 'debian-12': 6, 'centos-7': 3, 'alpine-3': 1 },
      faults: { 20: { type: 'auth-failure' } },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const host = (index: number): SimHost => {
    const found = fleet.hosts[index];
    if (!found) throw new Error(`no host ${index}`);
    return found;
  };
  const probeHost = (index: number, sudo = true, overrides: Partial<SshTarget> = {}) =>
    probe(simTargetFor(host(index), overrides), { type: 'facts', sudo, limits: FAST });

  it('has every distribution among its healthy hosts, each on its own port and key', () => {
    const distros = new Set(healthy.map((i) => host(i).distro));
    expect(distros).toEqual(new Set(['debian-12', 'centos-7', 'alpine-3']));
    expect(new Set(fleet.hosts.map((h) => h.port)).size).toBe(21);
    expect(new Set(fleet.hosts.map((h) => h.hostKey)).size).toBe(21);
    expect(fleet.hosts.every((h) => h.hostKey.startsWith('ssh-ed25519 AAAA'))).toBe(true);
  });

  it('healthy hosts: outcome ok, and the facts are exactly what the simulator served', async () => {
    for (const index of healthy) {
      const result = await probeHost(index);
      expect(result.outcome, summary(result)).toBe('ok');
      expect(result.hostKey).toBe(host(index).hostKey);
      for (const name of ['os', 'packages', 'services', 'users', 'hardware', 'network']) {
        if (result.collectors[name]?.status === 'unsupported') continue;
        expect(factsOf(result, name), `${index} ${name}`).toEqual(servedFacts(fleet, index, name));
      }
      for (const name of ['listeners', 'firewall']) {
        if (result.collectors[name]?.status !== 'ok') continue;
        expect(factsOf(result, name), `${index} ${name}`).toEqual(servedFacts(fleet, index, name));
      }
      expect(factsOf(result, 'packages').length).toBeGreaterThan(10);
    }
  });

  it('healthy hosts report the recorded machines, each with its own identity', async () => {
    for (const index of healthy) {
      const result = await probeHost(index);
      const model = fleet.model(index);
      const os = factsOf(result, 'os')[0]?.value;
      expect(os?.hostname).toBe(model.hostname);
      expect(os?.id).toBe(
        { 'debian-12': 'debian', 'centos-7': 'centos', 'alpine-3': 'alpine' }[model.distro],
      );
      const users = factsOf(result, 'users', 'user')
        .map((f) => f.key)
        .sort();
      if (model.distro === 'debian-12') {
        expect(users).toEqual(passwdNames(path.join(FIXTURES, 'users/debian-12__passwd.txt')));
        expect(os?.machineId).toBe(model.machineId);
      } else if (model.distro === 'centos-7') {
        expect(users).toEqual(passwdNames(path.join(SHARED, 'users/centos-7.7__jc_passwd.txt')));
        expect(os?.kernelRelease).toBe('3.10.0-957.27.2.el7.x86_64');
      } else {
        expect(result.collectors.users?.status).toBe('unsupported');
      }
    }
  });

  it('after drift(), the package facts change exactly as reported', async () => {
    let stopped = 0;
    for (const index of healthy) {
      const before = await probeHost(index);
      const [report] = fleet.drift(index, 3);
      if (!report) throw new Error('no drift report');
      const after = await probeHost(index);
      expect(after.outcome, summary(after)).toBe('ok');
      const versions = (r: ProbeResult) =>
        new Map(
          factsOf(r, 'packages').map((f) => [
            (f.value as { name: string }).name,
            (f.value as { evr: string }).evr,
          ]),
        );
      const [was, now] = [versions(before), versions(after)];
      const changed = [...was].filter(([name, evr]) => now.get(name) !== evr).map(([n]) => n);
      expect(new Set(changed)).toEqual(
        new Set([...report.upgraded, ...report.removed].map((c) => c.name)),
      );
      for (const change of report.removed) expect(now.has(change.name)).toBe(false);
      for (const change of report.upgraded)
        expect(now.get(change.name)).not.toBe(was.get(change.name));
      expect(factsOf(after, 'packages')).toEqual(servedFacts(fleet, index, 'packages'));
      for (const name of report.stoppedServices) {
        const service = factsOf(after, 'services').find((f) => f.key === name)?.value;
        expect(service?.enabled === 'disabled' || service?.active === 'inactive', name).toBe(true);
        stopped++;
      }
    }
    expect(stopped).toBeGreaterThan(0);
  });

  it('metrics counters grow between probes, so rates are computable', async () => {
    const index = healthy.find((i) => host(i).distro === 'debian-12') ?? 0;
    const sample = async () => {
      const result = await probe(simTargetFor(host(index)), {
        type: 'metrics',
        sudo: true,
        limits: FAST,
      });
      expect(result.outcome, summary(result)).toBe('ok');
      return { at: result.startedAt, metrics: result.metrics ?? {} };
    };
    const first = await sample();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await sample();
    expect(second.metrics.uptimeSeconds).toBeGreaterThan(first.metrics.uptimeSeconds ?? Infinity);
    expect(second.metrics.cpu?.idle).toBeGreaterThan(first.metrics.cpu?.idle ?? Infinity);
    const rates = computeRates(first, second);
    expect(rates.cpu).not.toBeNull();
    const cpu = rates.cpu;
    if (cpu) {
      const total = cpu.userPct + cpu.systemPct + cpu.iowaitPct + cpu.stealPct + cpu.idlePct;
      expect(total).toBeCloseTo(100, 0);
    }
    const eth0 = rates.interfaces.find((i) => i.name === 'eth0');
    expect(eth0?.rxBytesPerSec).toBeGreaterThan(0);
  });

  // Faults go on Debian hosts, whose every collector works when healthy.
  const debianFaultHosts = () =>
    fleet.hosts.filter((h) => h.index >= 10 && h.index < 20 && h.distro === 'debian-12');
  const faultHost = (k: number): SimHost => {
    const found = debianFaultHosts()[k];
    if (!found) throw new Error(`not enough Debian fault hosts for #${k}`);
    return found;
  };

  it('slow: the answer comes late, but complete', async () => {
    const h = faultHost(0);
    fleet.setFault(h.index, { type: 'slow', ms: 400 });
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome, summary(result)).toBe('ok');
    expect(result.durationMs).toBeGreaterThanOrEqual(400);
  });

  it('hang: timeout at the probe deadline', async () => {
    const h = faultHost(1);
    fleet.setFault(h.index, { type: 'hang' });
    const result = await probe(simTargetFor(h), {
      type: 'facts',
      sudo: true,
      limits: { probeTimeoutMs: 1500 },
    });
    fleet.setFault(h.index, null);
    expect(result.outcome).toBe('timeout');
    expect(result.errorCode).toBe('timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    expect(result.durationMs).toBeLessThan(4000);
    expect(Object.values(result.collectors).every((c) => c.status === 'timeout')).toBe(true);
  });

  it('disconnect mid-output: the probe fails and no collector yields facts', async () => {
    const h = faultHost(2);
    fleet.setFault(h.index, { type: 'disconnect' });
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome, summary(result)).toBe('failed');
    expect(result.errorCode).toBe('disconnected');
    for (const outcome of Object.values(result.collectors)) {
      expect(outcome.status).toBe('failed');
      expect(outcome.facts).toBeUndefined();
    }
  });

  it('auth failure: failed with errorCode authentication', async () => {
    const result = await probeHost(20);
    expect(result.outcome).toBe('failed');
    expect(result.errorCode).toBe('authentication');
    expect(result.error).toMatch(/authentication as hiprobe .* failed/);
  });

  it('host-key change: refused against the pinned key, until the key is back', async () => {
    const h = faultHost(3);
    fleet.setFault(h.index, { type: 'host-key-change' });
    const refused = await probeHost(h.index);
    expect(refused.outcome).toBe('failed');
    expect(refused.errorCode).toBe('host-key-changed');
    expect(refused.error).toMatch(/HOST KEY CHANGED/);
    const unpinned = await probeHost(h.index, true, {
      knownHostKey: null,
      hostKeyPolicy: 'accept-new',
    });
    expect(unpinned.outcome).toBe('ok');
    expect(unpinned.hostKey).not.toBe(h.hostKey);
    fleet.setFault(h.index, null);
    expect((await probeHost(h.index)).outcome).toBe('ok');
  });

  it('host-key rotation: the old pin is refused, the new one accepted', async () => {
    const h = faultHost(3);
    const old = h.hostKey;
    const rotated = fleet.rotateHostKey(h.index);
    expect(rotated).not.toBe(old);
    expect(h.hostKey).toBe(rotated);
    const refused = await probeHost(h.index, true, { knownHostKey: old });
    expect(refused.errorCode).toBe('host-key-changed');
    expect((await probeHost(h.index)).outcome).toBe('ok');
  });

  it('garbage inside sections: those collectors fail, the probe does not', async () => {
    const h = faultHost(4);
    fleet.setFault(h.index, { type: 'garbage', collectors: ['packages', 'users'] });
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome, summary(result)).toBe('partial');
    expect(result.collectors.packages?.status).toBe('failed');
    expect(result.collectors.users?.status).toBe('failed');
    for (const name of [
      'os',
      'services',
      'hardware',
      'network',
      'listeners',
      'firewall',
      'metrics',
    ]) {
      expect(result.collectors[name]?.status, name).toBe('ok');
    }
  });

  it('garbage instead of the framed output: failed, the script did not run', async () => {
    const h = faultHost(4);
    fleet.setFault(h.index, { type: 'garbage', mode: 'random' });
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome).toBe('failed');
    expect(result.errorCode).toBe('script');
    expect(Object.values(result.collectors).every((c) => c.status === 'failed')).toBe(true);
  });

  it('oversized output: failed at the output limit; the host stops streaming', async () => {
    const h = faultHost(5);
    fleet.setFault(h.index, { type: 'oversized' });
    const sentBefore = fleet.stats().bytesSent;
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome).toBe('failed');
    expect(result.errorCode).toBe('output-limit');
    expect(result.error).toMatch(/exceeded 33554432 bytes/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Far less than the 100 MiB the host meant to send: it noticed the channel close.
    expect(fleet.stats().bytesSent - sentBefore).toBeLessThan(60 * 1024 * 1024);
  });

  it('tool missing: that collector is unsupported, the rest ok', async () => {
    const h = faultHost(6);
    fleet.setFault(h.index, { type: 'tool-missing', collector: 'listeners' });
    const result = await probeHost(h.index);
    fleet.setFault(h.index, null);
    expect(result.outcome, summary(result)).toBe('ok');
    expect(result.collectors.listeners?.status).toBe('unsupported');
    expect(result.collectors.packages?.status).toBe('ok');
  });

  it('sudo refused, probing with sudo: needs-privilege for what needs root', async () => {
    const h = faultHost(7);
    fleet.setFault(h.index, { type: 'sudo-refused' });
    const result = await probeHost(h.index, true);
    fleet.setFault(h.index, { type: 'sudo-refused', variant: 'no-sudo' });
    const noSudo = await probeHost(h.index, true);
    fleet.setFault(h.index, null);
    expect(result.outcome, summary(result)).toBe('ok');
    expect(result.collectors.firewall?.status).toBe('needs-privilege');
    expect(result.collectors.listeners?.status).toBe('needs-privilege');
    // Its authorized keys would be unknown: a lesser view than the stored one (sudo-refused.ts).
    expect(result.collectors.users?.status).toBe('needs-privilege');
    expect(result.collectors.packages?.status).toBe('ok');
    // Where even the sudo check fails, the script runs `preferred` sections as the user: sockets
    // without owners, which would overwrite the stored ones, so listeners does not answer either.
    expect(noSudo.collectors.firewall?.status).toBe('needs-privilege');
    expect(noSudo.collectors.listeners?.status).toBe('needs-privilege');
    expect(noSudo.collectors.listeners?.error).toMatch(/listeners\.ss did not run as root/);
  });

  it('stays healthy: every host answers again, no connection is left behind', async () => {
    fleet.setFault(20, null);
    const results = await Promise.all(fleet.hosts.map((h) => probeHost(h.index)));
    for (const result of results) expect(result.outcome, summary(result)).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = fleet.stats();
    expect(stats.openConnections).toBe(0);
    expect(stats.materializedHosts).toBe(21);
  });
});
