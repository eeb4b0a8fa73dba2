// Simulated hosts answer the real probe script with recorded outputs that the real collectors
// parse; hosts differ from one another, and drift changes them the way it says it does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PackageFact } from '../../../collectors/packages.ts';
import type { ServiceFact } from '../../../collectors/services.ts';
import { DRIFT_STEP_SECONDS, HostModel } from '../../sim/host-model.ts';
import { type Distro, loadRecordings } from '../../sim/recordings.ts';
import { probeOffline, valuesOf } from './offline.ts';

const recordings = loadRecordings();
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const SHARED = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const T0 = Date.UTC(2026, 10, 29, 12);

const hostOf = (index: number, distro: Distro, seed: string | number = 'unit') =>
  new HostModel({ seed, index, distro, recordings, createdAt: T0 });

const dpkgFixture = readFileSync(path.join(FIXTURES, 'packages/debian-12__dpkg.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split('\t'));
const passwdNames = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(':')[0]);

describe('a simulated Debian 12 host', () => {
  const host = hostOf(3, 'debian-12');
  const result = probeOffline(host, { nowMs: T0 + 5000 });

  it('answers every collector, and the collectors accept every answer', () => {
    expect(result.errors).toEqual({});
    expect(Object.values(result.status).every((s) => s === 'ok')).toBe(true);
  });

  it('has the recorded packages, minus a few, some at a Debian stable update', () => {
    const recorded = new Map(dpkgFixture.map((row) => [`${row[0]}:${row[1]}`, row[2]]));
    const packages = valuesOf<PackageFact>(result, 'packages', 'package');
    expect(packages.length).toBeGreaterThan(dpkgFixture.length * 0.95);
    expect(packages.length).toBeLessThanOrEqual(dpkgFixture.length);
    for (const p of packages) {
      const version = recorded.get(`${p.name}:${p.arch}`);
      expect(version, p.name).toBeDefined();
      // Either as recorded, or one or more Debian stable updates later.
      const base = (evr: string) => evr.replace(/\+deb12u\d+$/, '');
      expect(base(p.evr), p.name).toBe(base(version ?? ''));
    }
    expect(packages.some((p) => p.evr !== recorded.get(`${p.name}:${p.arch}`))).toBe(true);
    expect(packages.find((p) => p.name === 'adduser')?.manager).toBe('dpkg');
  });

  it('has the recorded users, its own identity and its own addresses', () => {
    const users = valuesOf<{ name: string }>(result, 'users', 'user').map((u) => u.name);
    expect(users.sort()).toEqual(
      passwdNames(path.join(FIXTURES, 'users/debian-12__passwd.txt')).sort(),
    );
    const os = valuesOf<Record<string, unknown>>(result, 'os', 'os')[0];
    expect(os).toMatchObject({
      id: 'debian',
      versionId: '12',
      kernelRelease: '6.18.44-fc-v595',
      hostname: host.hostname,
      fqdn: host.fqdn,
      machineId: host.machineId,
      bootId: host.bootId,
    });
    const eth0 = valuesOf<{ name: string; mac: string; addresses: string[] }>(
      result,
      'network',
      'interface',
    ).find((i) => i.name === 'eth0');
    expect(eth0?.addresses[0]).toMatch(/^10\.0\.3\.\d+\/24$/);
    expect(eth0?.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    const routes = valuesOf<{ dst: string; gateway: string | null }>(result, 'network', 'route');
    expect(routes.find((r) => r.dst === 'default' && r.gateway?.includes('.'))?.gateway).toBe(
      '10.0.3.1',
    );
  });
});

describe('a simulated CentOS 7 host', () => {
  const host = hostOf(5, 'centos-7');
  const result = probeOffline(host, { nowMs: T0 });

  it('answers from the CentOS 7.7 recordings: rpm, systemd, users; kernel from rpm', () => {
    expect(result.errors).toEqual({});
    const packages = valuesOf<PackageFact>(result, 'packages', 'package');
    expect(packages.every((p) => p.manager === 'rpm')).toBe(true);
    const make = packages.find((p) => p.name === 'make');
    const recorded = readFileSync(path.join(SHARED, 'packages/centos-7.7__jc_rpm-qai.txt'), 'utf8');
    const names = new Set([...recorded.matchAll(/^Name {8}: (.+)$/gm)].map((m) => m[1]));
    expect(packages.length).toBeGreaterThan(200);
    for (const p of packages) expect(names.has(p.name), p.name).toBe(true);
    // make, the first record of the rpm -qai recording: Epoch 1, 3.82-24.el7 (or an update).
    if (make) expect(make.evr === '1:3.82-24.el7' || make.evr === '1:3.82-24.el7_9').toBe(true);
    const os = valuesOf<Record<string, unknown>>(result, 'os', 'os')[0];
    expect(os).toMatchObject({
      id: 'centos',
      versionId: '7',
      kernelRelease: '3.10.0-957.27.2.el7.x86_64',
      installedKernels: ['3.10.0-957.27.2.el7.x86_64'],
      runningKernelInstalled: true,
    });
    const services = valuesOf<ServiceFact>(result, 'services', 'service');
    expect(services.find((s) => s.name === 'auditd.service')).toMatchObject({
      active: 'active',
      sub: 'running',
      enabled: 'enabled',
      manager: 'systemd',
    });
    const users = valuesOf<{ name: string }>(result, 'users', 'user').map((u) => u.name);
    expect(users.sort()).toEqual(
      passwdNames(path.join(SHARED, 'users/centos-7.7__jc_passwd.txt')).sort(),
    );
  });
});

describe('a simulated Alpine host', () => {
  it('answers from apk and BusyBox recordings; without a recording: unsupported', () => {
    const result = probeOffline(hostOf(7, 'alpine-3'), { nowMs: T0 });
    expect(result.status).toMatchObject({
      os: 'ok',
      packages: 'ok',
      hardware: 'ok',
      network: 'ok',
      metrics: 'ok',
      services: 'unsupported',
      users: 'unsupported',
      listeners: 'unsupported',
      firewall: 'unsupported',
    });
    const packages = valuesOf<PackageFact>(result, 'packages', 'package');
    expect(packages.every((p) => p.manager === 'apk')).toBe(true);
    expect(valuesOf<{ id: string }>(result, 'os', 'os')[0]?.id).toBe('alpine');
  });
});

describe('variation between hosts', () => {
  const hosts = Array.from({ length: 40 }, (_, i) => hostOf(i, 'debian-12'));

  it('gives every host its own name, machine id and address', () => {
    expect(new Set(hosts.map((h) => h.hostname)).size).toBe(40);
    expect(new Set(hosts.map((h) => h.machineId)).size).toBe(40);
    const macs = hosts.map(
      (h) => h.answer('network.addr', false, T0).stdout.match(/02(:[0-9a-f]{2}){5}/)?.[0],
    );
    expect(new Set(macs).size).toBe(40);
  });

  it('gives hosts different package sets, and the same seed the same host', () => {
    const lists = new Set(hosts.map((h) => h.packages.render()));
    expect(lists.size).toBeGreaterThan(30);
    expect(hostOf(11, 'debian-12').packages.render()).toBe(hosts[11]?.packages.render());
    expect(hostOf(11, 'debian-12', 'other seed').packages.render()).not.toBe(
      hosts[11]?.packages.render(),
    );
  });
});

describe('drift', () => {
  it('upgrades and removes exactly the packages it reports', () => {
    for (const distro of ['debian-12', 'centos-7', 'alpine-3'] as const) {
      const host = hostOf(21, distro);
      const before = new Map(
        valuesOf<PackageFact>(probeOffline(host, { nowMs: T0 }), 'packages', 'package').map((p) => [
          p.name,
          p.evr,
        ]),
      );
      const report = host.drift(6, T0);
      expect(report.upgraded.length + report.removed.length).toBeGreaterThan(0);
      const after = new Map(
        valuesOf<PackageFact>(probeOffline(host, { nowMs: T0 }), 'packages', 'package').map((p) => [
          p.name,
          p.evr,
        ]),
      );
      for (const change of report.removed) expect(after.has(change.name), change.name).toBe(false);
      for (const change of report.upgraded) {
        expect(before.has(change.name)).toBe(true);
        expect(after.get(change.name)).not.toBe(before.get(change.name));
      }
      const changed = [...before].filter(([name, evr]) => after.get(name) !== evr).map(([n]) => n);
      const reported = new Set([...report.upgraded, ...report.removed].map((c) => c.name));
      expect(new Set(changed)).toEqual(reported);
    }
  });

  it('stops the services it reports', () => {
    for (const distro of ['debian-12', 'centos-7'] as const) {
      const host = hostOf(2, distro);
      const report = host.drift(12, T0);
      expect(report.stoppedServices.length, distro).toBeGreaterThan(0);
      const services = valuesOf<ServiceFact>(
        probeOffline(host, { nowMs: T0 }),
        'services',
        'service',
      );
      for (const name of report.stoppedServices) {
        const service = services.find((s) => s.name === name);
        if (distro === 'debian-12') expect(service?.enabled).toBe('disabled');
        else expect(service).toMatchObject({ active: 'inactive', sub: 'dead' });
      }
    }
  });

  it('makes counters grow monotonically, with time and with drift', () => {
    const host = hostOf(9, 'debian-12');
    const samples = [T0, T0 + 1000, T0 + 61_000].map(
      (now) => probeOffline(host, { type: 'metrics', nowMs: now }).metrics,
    );
    host.drift(2, T0);
    samples.push(probeOffline(host, { type: 'metrics', nowMs: T0 + 61_000 }).metrics);
    for (let i = 1; i < samples.length; i++) {
      const [a, b] = [samples[i - 1], samples[i]];
      expect(b?.uptimeSeconds).toBeGreaterThan(a?.uptimeSeconds ?? Infinity);
      for (const field of ['user', 'system', 'idle'] as const) {
        expect(b?.cpu?.[field]).toBeGreaterThanOrEqual(a?.cpu?.[field] ?? Infinity);
      }
      const eth = (m: typeof a) => m?.interfaces?.find((x) => x.name === 'eth0');
      expect(eth(b)?.rxBytes).toBeGreaterThan(eth(a)?.rxBytes ?? Infinity);
      const vda = (m: typeof a) => m?.disks?.find((x) => x.name === 'vda');
      expect(vda(b)?.sectorsWritten).toBeGreaterThanOrEqual(vda(a)?.sectorsWritten ?? Infinity);
    }
    const drifted = (samples[3]?.uptimeSeconds ?? 0) - (samples[2]?.uptimeSeconds ?? 0);
    expect(drifted).toBeCloseTo(2 * DRIFT_STEP_SECONDS, 1);
  });
});

describe('privileges', () => {
  const host = hostOf(4, 'debian-12');

  it('without sudo: required sections are not run, preferred ones run as the user', () => {
    const result = probeOffline(host, { sudo: false, nowMs: T0 });
    expect(result.sections.get('firewall.nft')).toMatchObject({
      exitCode: 126,
      privilegeDenied: true,
    });
    expect(result.status.firewall).toBe('needs-privilege');
    expect(result.status.listeners).toBe('ok');
    const listeners = valuesOf<{ process: string | null }>(result, 'listeners', 'listener');
    expect(listeners.length).toBe(3);
    expect(listeners.every((l) => l.process === null)).toBe(true);
  });

  it('with sudo: root sections see the processes', () => {
    const result = probeOffline(host, { sudo: true, nowMs: T0 });
    const processes = valuesOf<{ process: string | null }>(result, 'listeners', 'listener').map(
      (l) => l.process,
    );
    expect(processes.map(String).sort()).toEqual(['node', 'null', 'postgres']);
  });
});
