// npm run bench:fleet [-- --hosts 1000 --concurrency 32 --in-process]: a full facts probe of
// every host of a simulated fleet (test/sim, ssh2 servers answering with recorded outputs), as
// the runner's limiter would schedule them. Prints wall time, probes/s, the prober's CPU and
// RSS, and the baseline in the same run: the same probes strictly one at a time, on 50 more
// hosts of the same fleet, probed first (cold, as the measured ones are). The simulator runs in a process of its own (test/bench/sim-process.ts), so the
// CPU and RSS printed are the prober's alone and the two use both cores as a runner and its
// hosts would; --in-process puts it in this process instead (one event loop for both).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probe } from '../../collectors/probe.ts';
import type { SshTarget } from '../../collectors/transport.ts';
import { startFleet } from '../sim/fleet.ts';
import { startSim } from './sim-process.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    address: { type: 'string', default: '127.0.4.1' },
    port: { type: 'string', default: '21000' },
    'in-process': { type: 'boolean', default: false },
  },
});
const hosts = Number(values.hosts);
/** Extra hosts, after the measured ones, for the one-at-a-time baseline. */
const BASELINE_HOSTS = 50;
const concurrency = Number(values.concurrency);

interface Host {
  address: string;
  port: number;
  username: string;
  hostKey: string;
}

const targetOf = (host: Host, privateKey: string): SshTarget => ({
  address: host.address,
  port: host.port,
  username: host.username,
  auth: { type: 'privateKey', privateKey },
  hostKeyPolicy: 'strict',
  knownHostKey: host.hostKey,
});

async function probeAll(list: readonly SshTarget[], parallel: number) {
  const outcomes = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    for (let t = list[next++]; t; t = list[next++]) {
      const result = await probe(t, { type: 'facts', sudo: true });
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return { seconds: (performance.now() - started) / 1000, outcomes: Object.fromEntries(outcomes) };
}

/** The fleet, in this process or its own; its targets and what stops it. */
async function startHosts() {
  const seed = 'bench-fleet';
  const port = Number(values.port);
  if (values['in-process']) {
    const fleet = await startFleet({
      hosts: hosts + BASELINE_HOSTS,
      seed,
      basePort: port,
      address: values.address,
    });
    return {
      targets: fleet.hosts.map((h) => targetOf(h, h.privateKey ?? '')),
      simCpuSeconds: () => null,
      stop: () => fleet.stop(),
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-bench-fleet-'));
  const sim = await startSim({
    hosts: hosts + BASELINE_HOSTS,
    address: values.address,
    port,
    seed,
    dir,
  });
  return {
    targets: sim.hosts.map((h) => targetOf(h, sim.privateKey)),
    simCpuSeconds: () => sim.cpuSeconds(),
    stop: async () => {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8');
const fleet = await startHosts();
try {
  console.log(
    `bench:fleet: ${hosts} hosts, simulator ${values['in-process'] ? 'in this process' : 'in its own process'}; ` +
      `load average ${loadavg().split(' ').slice(0, 3).join(' ')}`,
  );
  const measured = fleet.targets.slice(0, hosts);
  // First, so that the fleet is as cold for it as for the measured pass.
  const serial = await probeAll(fleet.targets.slice(hosts), 1);
  const serialRate = BASELINE_HOSTS / serial.seconds;
  const simBefore = fleet.simCpuSeconds();
  const cpu = process.cpuUsage();
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 250);
  const all = await probeAll(measured, concurrency);
  clearInterval(sampler);
  const used = process.cpuUsage(cpu);
  const simAfter = fleet.simCpuSeconds();
  const rate = hosts / all.seconds;
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `${hosts} hosts, ${concurrency} at a time: ${all.seconds.toFixed(1)} s (${rate.toFixed(0)} probes/s)` +
      ` — goal ≤ 30 s: ${all.seconds <= 30 ? 'met' : 'MISSED'}`,
    all.outcomes,
  );
  const sim =
    simBefore === null || simAfter === null
      ? ' (the simulator shares this process)'
      : `; simulator ${(simAfter - simBefore).toFixed(1)} s CPU in its own process`;
  console.log(
    `prober CPU ${cpuSeconds.toFixed(1)} s (${((100 * cpuSeconds) / all.seconds).toFixed(0)} % ` +
      `of one core, ${((1000 * cpuSeconds) / hosts).toFixed(1)} ms a probe), RSS peak ` +
      `${(rssPeak / 2 ** 20).toFixed(0)} MiB${sim}`,
  );
  console.log(
    `baseline, one at a time (${BASELINE_HOSTS} other hosts): ${serialRate.toFixed(1)} probes/s ` +
      `→ concurrency gives ${(rate / serialRate).toFixed(1)}×`,
  );
  console.log(`load average at the end ${loadavg().split(' ').slice(0, 3).join(' ')}`);
} finally {
  await fleet.stop();
}
