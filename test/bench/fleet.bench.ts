// npm run bench:fleet [-- --hosts 1000 --concurrency 32]: a full facts probe of every host of a
// simulated fleet (test/sim, ssh2 servers answering with recorded outputs), as the runner's
// limiter would schedule them. Prints wall time, probes/s, this process's CPU and RSS, and the
// baseline in the same run: the same probes strictly one at a time (on the first 50 hosts).
import { parseArgs } from 'node:util';
import { probe } from '../../collectors/probe.ts';
import type { SshTarget } from '../../collectors/transport.ts';
import { type SimHost, startFleet } from '../sim/fleet.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const hosts = Number(values.hosts);
const concurrency = Number(values.concurrency);

const targetOf = (host: SimHost): SshTarget => ({
  address: host.address,
  port: host.port,
  username: host.username,
  auth: { type: 'privateKey', privateKey: host.privateKey ?? '' },
  hostKeyPolicy: 'strict',
  knownHostKey: host.hostKey,
});

async function probeAll(list: readonly SimHost[], parallel: number) {
  const outcomes = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    for (let h = list[next++]; h; h = list[next++]) {
      const result = await probe(targetOf(h), { type: 'facts', sudo: true });
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return { seconds: (performance.now() - started) / 1000, outcomes: Object.fromEntries(outcomes) };
}

const fleet = await startFleet({ hosts, seed: 'bench-fleet', basePort: 21000 });
try {
  const cpu = process.cpuUsage();
  const all = await probeAll(fleet.hosts, concurrency);
  const used = process.cpuUsage(cpu);
  const serial = await probeAll(fleet.hosts.slice(0, 50), 1);
  const serialRate = 50 / serial.seconds;
  const rate = hosts / all.seconds;
  console.log(
    `${hosts} hosts, ${concurrency} at a time: ${all.seconds.toFixed(1)} s (${rate.toFixed(0)} probes/s)`,
    all.outcomes,
  );
  console.log(
    `process CPU ${((used.user + used.system) / 1e6).toFixed(1)} s (simulator and prober share it), RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `baseline, one at a time: ${serialRate.toFixed(1)} probes/s → concurrency gives ${(rate / serialRate).toFixed(1)}×`,
  );
} finally {
  await fleet.stop();
}
