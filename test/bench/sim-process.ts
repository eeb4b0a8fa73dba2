// The fleet simulator in a process of its own, for the benchmarks that measure another
// process's CPU (bench:scale, bench:fleet): its SSH server work must not count as theirs.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ed25519FromSeed } from '../sim/keys.ts';
import { seedBytes } from '../sim/rng.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime of a process, in seconds (Linux /proc; 100 ticks a second); null if unknown. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** One line of the hosts file the simulator writes (test/sim/cli.ts). */
export interface SimHostEntry {
  name: string;
  address: string;
  port: number;
  username: string;
  privateKeyPath: string;
  hostKey: string;
}

export interface Sim {
  /** The simulator processes (one, or more for fleets beyond one process's descriptors). */
  processes: ChildProcess[];
  hosts: SimHostEntry[];
  /** The probe user's private key (the same for every host). */
  privateKey: string;
  /** CPU seconds the simulator processes have used so far (null: not readable). */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

export interface SimOptions {
  hosts: number;
  /** A loopback address of its own keeps its ports clear of other simulators'. */
  address: string;
  /** Host i listens on port + i. */
  port: number;
  seed: string;
  /** Where the hosts files and the key go. */
  dir: string;
  /**
   * Processes to split the fleet over (default 1). A process needs a descriptor per host
   * (its listener) plus one per open connection: a fleet whose connections stay open (an SSH
   * connection pool) needs two processes beyond half the descriptor limit. Host i is the same
   * host (name, keys, port) whatever the split, so a database registered once stays valid.
   */
  processes?: number;
}

/**
 * Starts `npm run sim`'s CLI — its file-descriptor limit raised to the hard limit, since
 * 10,000 listeners plus the connections being probed need far more than the usual 1,024 — in
 * one or more processes sharing one seed and one user key, and resolves once every host
 * listens.
 */
export async function startSim(options: SimOptions): Promise<Sim> {
  const count = Math.max(1, Math.min(options.processes ?? 1, options.hosts));
  // The key a fleet of this seed makes for itself (test/sim/fleet.ts), written once and
  // shared by every process.
  const keyFile = path.join(options.dir, 'id_ed25519');
  const { privateKey } = ed25519FromSeed(seedBytes(options.seed, 'client-key'));
  writeFileSync(keyFile, privateKey, { mode: 0o600 });
  const per = Math.ceil(options.hosts / count);
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, k) =>
      startOne({
        hosts: Math.min(per, options.hosts - k * per),
        first: k * per,
        address: options.address,
        port: options.port,
        seed: options.seed,
        out: path.join(options.dir, `hosts-${k}.json`),
        keyFile,
      }),
    ),
  );
  const parts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) {
    await Promise.all(parts.map((p) => p.stop()));
    throw failure.reason;
  }
  const processes = parts.map((p) => p.process);
  return {
    processes,
    hosts: parts.flatMap((p) => p.hosts),
    privateKey,
    cpuSeconds() {
      let total = 0;
      for (const child of processes) {
        const cpu = processCpuSeconds(child.pid);
        if (cpu === null) return null;
        total += cpu;
      }
      return total;
    },
    async stop() {
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
}

async function startOne(options: {
  hosts: number;
  first: number;
  address: string;
  port: number;
  seed: string;
  out: string;
  keyFile: string;
}) {
  const args = [
    '--import',
    'tsx',
    path.join(repo, 'test/sim/cli.ts'),
    ...['--hosts', String(options.hosts), '--first', String(options.first)],
    ...['--address', options.address],
    ...['--port', String(options.port), '--seed', options.seed, '--out', options.out],
    ...['--identity', options.keyFile],
  ];
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, ...args],
    { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 120_000;
  while (!/hosts up/.test(stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`the simulator did not start: ${stderr.trim()}`);
    }
    await sleep(200);
  }
  const hosts = JSON.parse(readFileSync(options.out, 'utf8')) as SimHostEntry[];
  return {
    process: child,
    hosts,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
