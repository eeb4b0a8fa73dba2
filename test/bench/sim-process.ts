// The fleet simulator in a process of its own, for the benchmarks that measure another
// process's CPU (bench:scale, bench:ssh-reuse): its SSH server work must not count as theirs.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';

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
  process: ChildProcess;
  hosts: SimHostEntry[];
  /** The probe user's private key (the same for every host). */
  privateKey: string;
  stop(): Promise<void>;
}

export interface SimOptions {
  hosts: number;
  /** A loopback address of its own keeps its ports clear of other simulators'. */
  address: string;
  port: number;
  seed: string;
  /** Where the hosts file goes. */
  dir: string;
}

/**
 * Starts `npm run sim`'s CLI with the file-descriptor limit raised to the hard limit (10,000
 * listeners plus the connections being probed need far more than the usual 1,024) and
 * resolves once every host listens.
 */
export async function startSim(options: SimOptions): Promise<Sim> {
  const out = path.join(options.dir, 'hosts.json');
  const args = [
    '--import',
    'tsx',
    path.join(repo, 'test/sim/cli.ts'),
    ...['--hosts', String(options.hosts), '--address', options.address],
    ...['--port', String(options.port), '--seed', options.seed, '--out', out],
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
  const hosts = JSON.parse(readFileSync(out, 'utf8')) as SimHostEntry[];
  const privateKey = readFileSync(hosts[0]?.privateKeyPath ?? '', 'utf8');
  return {
    process: child,
    hosts,
    privateKey,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
