// bench:ssh-reuse — the SSH part of the runner's load at the 10,000-host cadence: every host
// probed for metrics once a minute (~167 probes a second), at most --concurrency at a time,
// first with a new connection per probe (collectors/probe.ts as it is), then with
// SshConnectionPool (collectors/connection-pool.ts) keeping each host's connection for its
// next probe. Each variant runs a warm-up minute (the pool fills), then --minutes measured.
//
//   npx tsx test/bench/ssh-reuse.bench.ts [--hosts 10000] [--minutes 2] [--concurrency 32]
//     [--max-open 10000] [--idle-seconds 90] [--address 127.0.3.1] [--port 20000]
//
// Prints, per variant: this process's CPU (% of one core) and CPU per probe, RSS, probe
// duration and start lag (due → started) p50/p99, failures, and the simulator's CPU (its own
// process: the SSH server side). No database: probe results are parsed and dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SshConnectionPool, targetKey } from '../../collectors/connection-pool.ts';
import { metricsCollector } from '../../collectors/metrics.ts';
import { probe, probeLimits } from '../../collectors/probe.ts';
import { buildScript, splitSections } from '../../collectors/script.ts';
import type { SshTarget } from '../../collectors/transport.ts';
import { processCpuSeconds, type Sim, startSim } from './sim-process.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    'max-open': { type: 'string' },
    'idle-seconds': { type: 'string', default: '90' },
    address: { type: 'string', default: '127.0.3.1' },
    port: { type: 'string', default: '20000' },
  },
});
const HOSTS = Number(values.hosts);
const MINUTES = Number(values.minutes);
const CONCURRENCY = Number(values.concurrency);
const MAX_OPEN = Number(values['max-open'] ?? HOSTS);
const INTERVAL_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

type ProbeOnce = (index: number, signal: AbortSignal) => Promise<boolean>;

/** The metrics probe exactly as probe() runs it, but on a pooled connection. */
function pooledProbe(pool: SshConnectionPool, targets: readonly SshTarget[]): ProbeOnce {
  const commands = metricsCollector.commands;
  return async (index, signal) => {
    const target = targets[index] as SshTarget;
    const script = buildScript(commands, { sudo: true, ...probeLimits });
    const result = await pool.run(
      targetKey(`host-${index}`, target),
      target,
      { connectTimeoutMs: probeLimits.connectTimeoutMs, signal },
      (connection) => connection.exec(script.text, { maxBytes: probeLimits.probeMaxBytes, signal }),
    );
    const { sections, complete } = splitSections(
      result.stdout,
      script.boundary,
      commands,
      probeLimits,
    );
    return complete && metricsCollector.parse(sections).metrics !== undefined;
  };
}

function connectPerProbe(targets: readonly SshTarget[]): ProbeOnce {
  return async (index, signal) => {
    const result = await probe(targets[index] as SshTarget, {
      type: 'metrics',
      sudo: true,
      signal,
    });
    return result.outcome === 'ok' && result.metrics !== undefined;
  };
}

interface Window {
  /** Probes that finished inside the measured window (whenever they were due). */
  probes: number;
  failures: number;
  durations: number[];
  lags: number[];
}

/**
 * Host i is due at start + i·interval/N + k·interval; due probes queue for one of
 * CONCURRENCY slots. After a warm-up interval (the pool fills), the measured window counts
 * the probes that finish in it and the CPU spent in it; probes still queued at its end are
 * dropped (a backlog means the variant cannot keep up: see the start lag).
 */
async function drive(sim: Sim, probeOnce: ProbeOnce, measuredMs: number) {
  const start = performance.now() + 1000;
  const measureFrom = start + INTERVAL_MS;
  const end = measureFrom + measuredMs;
  const window: Window = { probes: 0, failures: 0, durations: [], lags: [] };
  let queue: { index: number; due: number }[] = [];
  let active = 0;
  let nextSlot = 0; // the k·N + i of the next due probe
  let offered = 0;
  const dueOf = (slot: number) =>
    start + Math.floor(slot / HOSTS) * INTERVAL_MS + ((slot % HOSTS) * INTERVAL_MS) / HOSTS;
  const pump = () => {
    while (active < CONCURRENCY && queue.length > 0) {
      const { index, due } = queue.shift() as { index: number; due: number };
      active++;
      const began = performance.now();
      probeOnce(index, new AbortController().signal)
        .then(
          (ok) => ok,
          () => false,
        )
        .then((ok) => {
          active--;
          const now = performance.now();
          if (now >= measureFrom && now < end) {
            window.probes++;
            if (!ok) window.failures++;
            window.durations.push(now - began);
            window.lags.push(began - due);
          }
          pump();
        });
    }
  };
  let cpu: { process: NodeJS.CpuUsage; sim: number | null } | null = null;
  let rssPeak = 0;
  let measured: { seconds: number; cpuSeconds: number; simSeconds: number | null } | null = null;
  while (performance.now() < end || active > 0) {
    const now = performance.now();
    if (cpu === null && now >= measureFrom) {
      cpu = { process: process.cpuUsage(), sim: processCpuSeconds(sim.process.pid) };
      rssPeak = 0;
    }
    if (cpu !== null && measured === null && now >= end) {
      const used = process.cpuUsage(cpu.process);
      const simNow = processCpuSeconds(sim.process.pid);
      measured = {
        seconds: (now - measureFrom) / 1000,
        cpuSeconds: (used.user + used.system) / 1e6,
        simSeconds: simNow === null || cpu.sim === null ? null : simNow - cpu.sim,
      };
      queue = []; // the backlog is not run
    }
    while (now < end && dueOf(nextSlot) <= now) {
      queue.push({ index: nextSlot % HOSTS, due: dueOf(nextSlot) });
      if (dueOf(nextSlot) >= measureFrom) offered++;
      nextSlot++;
    }
    pump();
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    await sleep(5);
  }
  return { window, measured, rssPeak, offered };
}

function report(label: string, run: Awaited<ReturnType<typeof drive>>, extra = '') {
  const w = run.window;
  const m = run.measured;
  if (!m) throw new Error('no measured window');
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`\n== ${label}`);
  console.log(
    `  CPU               ${((100 * m.cpuSeconds) / m.seconds).toFixed(1)} % of one core, ` +
      `${((1000 * m.cpuSeconds) / Math.max(1, w.probes)).toFixed(2)} ms per probe ` +
      `(${(w.probes / m.seconds).toFixed(1)} probes/s done of ` +
      `${(run.offered / m.seconds).toFixed(1)}/s due)`,
  );
  console.log(`  RSS               peak ${(run.rssPeak / 2 ** 20).toFixed(0)} MB${extra}`);
  console.log(
    `  probe             duration p50 ${s(quantile(w.durations, 0.5))}, p99 ` +
      `${s(quantile(w.durations, 0.99))}; start lag p50 ${s(quantile(w.lags, 0.5))}, p99 ` +
      `${s(quantile(w.lags, 0.99))}; failed ${w.failures} of ${w.probes}`,
  );
  if (m.simSeconds !== null) {
    console.log(
      `  simulator         ${((100 * m.simSeconds) / m.seconds).toFixed(1)} % of one core ` +
        '(the SSH server side, its own process)',
    );
  }
  return (100 * m.cpuSeconds) / m.seconds;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-bench-ssh-'));
  const sim = await startSim({
    hosts: HOSTS,
    address: values.address,
    port: Number(values.port),
    seed: 'bench-ssh-reuse',
    dir,
  });
  try {
    console.log(
      `bench:ssh-reuse: ${HOSTS} hosts, one metrics probe a minute each ` +
        `(${(HOSTS / 60).toFixed(0)}/s), concurrency ${CONCURRENCY}; warm-up 1 min + ` +
        `${MINUTES} min per variant`,
    );
    const targets: SshTarget[] = sim.hosts.map((h) => ({
      address: h.address,
      port: h.port,
      username: h.username,
      auth: { type: 'privateKey', privateKey: sim.privateKey },
      hostKeyPolicy: 'strict',
      knownHostKey: h.hostKey,
    }));
    const fresh = await drive(sim, connectPerProbe(targets), MINUTES * 60_000);
    const freshCpu = report('a new connection per probe (collectors/probe.ts today)', fresh);

    const pool = new SshConnectionPool({
      maxOpen: MAX_OPEN,
      idleMs: Number(values['idle-seconds']) * 1000,
    });
    const pooled = await drive(sim, pooledProbe(pool, targets), MINUTES * 60_000);
    const stats = pool.stats();
    const perConnection = (pooled.rssPeak - fresh.rssPeak) / Math.max(1, stats.open) / 1024;
    const pooledCpu = report(
      `SshConnectionPool (maxOpen ${MAX_OPEN}, idle ${values['idle-seconds']} s)`,
      pooled,
      `; ${stats.open} connections open (≈ ${perConnection.toFixed(0)} KiB each over the ` +
        `other variant); reused ${stats.reused}, connected ${stats.connected}, stale ` +
        `${stats.stale}`,
    );
    pool.close();
    console.log(
      `\nCPU of the pooled variant ÷ a connection per probe: ${(pooledCpu / freshCpu).toFixed(2)}`,
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
