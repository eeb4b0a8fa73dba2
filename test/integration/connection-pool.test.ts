// SshConnectionPool against real SSH servers (the fleet simulator, ssh2's server side): a
// host's next probe runs on the connection its last one used, one exec channel each; a
// connection the server drops while idle leaves the pool and the next probe reconnects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnectionPool, targetKey } from '../../collectors/connection-pool.ts';
import { metricsCollector } from '../../collectors/metrics.ts';
import { probeLimits } from '../../collectors/probe.ts';
import { buildScript, splitSections } from '../../collectors/script.ts';
import type { SshTarget } from '../../collectors/transport.ts';
import { type Fleet, startFleet } from '../sim/fleet.ts';
import { simTargetFor } from '../support/ssh.ts';

/** A metrics probe's exec and parse, as collectors/probe.ts runs them. */
async function metricsProbe(pool: SshConnectionPool, index: number, target: SshTarget) {
  const signal = new AbortController().signal;
  const script = buildScript(metricsCollector.commands, { sudo: true, ...probeLimits });
  const result = await pool.run(
    targetKey(`host-${index}`, target),
    target,
    { connectTimeoutMs: 5_000, signal },
    (connection) => connection.exec(script.text, { maxBytes: probeLimits.probeMaxBytes, signal }),
  );
  const { sections, complete } = splitSections(
    result.stdout,
    script.boundary,
    metricsCollector.commands,
    probeLimits,
  );
  expect(complete).toBe(true);
  return metricsCollector.parse(sections).metrics;
}

const until = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('SshConnectionPool on simulated hosts', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ hosts: 2, seed: 'connection-pool' });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const hostTarget = (index: number) => {
    const host = fleet.hosts[index];
    if (!host) throw new Error(`no host ${index}`);
    return simTargetFor(host);
  };

  it("runs a host's probes on one connection, one exec each, with fresh answers", async () => {
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 60_000 });
    try {
      const before = fleet.stats();
      const first = await metricsProbe(pool, 0, hostTarget(0));
      fleet.drift(0, 1); // an hour passes on host 0: its uptime and counters grow
      const second = await metricsProbe(pool, 0, hostTarget(0));
      const after = fleet.stats();
      expect(after.connections - before.connections).toBe(1);
      expect(after.execs - before.execs).toBe(2);
      expect(pool.stats()).toMatchObject({ open: 1, idle: 1, reused: 1, connected: 1 });
      expect(second?.uptimeSeconds ?? 0).toBeGreaterThan((first?.uptimeSeconds ?? 0) + 3_000);
      expect(fleet.stats().openConnections).toBe(1);
    } finally {
      pool.close();
    }
    await until(
      'the server to see the connection closed',
      () => fleet.stats().openConnections === 0,
    );
  });

  it('drops a connection the server ended while idle, and reconnects for the next probe', async () => {
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 60_000 });
    try {
      await metricsProbe(pool, 1, hostTarget(1));
      expect(pool.stats().idle).toBe(1);
      // Lifting a hang drops every connection of the host, as an sshd restart would.
      fleet.setFault(1, { type: 'hang' });
      fleet.setFault(1, null);
      await until('the pool to forget the dropped connection', () => pool.stats().idle === 0);
      expect(await metricsProbe(pool, 1, hostTarget(1))).toBeDefined();
      expect(pool.stats()).toMatchObject({ connected: 2, reused: 0, idle: 1 });
    } finally {
      pool.close();
    }
  });
});
