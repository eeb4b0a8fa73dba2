// npm run bench:ansible [-- --hosts 20 --rounds 3 --hostintel-runs 5]: 20 real OpenSSH hosts on
// loopback, probed by hostintel (every host at once under the runner's ProbeLimiter, timed until
// every result is parsed) and by Ansible (setup + package_facts + service_facts, forks 20), in
// the same run, round after round. Prints the medians and the ratio. Not a test: no assertions.
//
// The hosts are this machine's sshd, one process per host on 127.0.0.10… port 22, each with its
// own temporary config and host key, admitting the dev probe user with the dev key that
// deploy/dev/ssh-hosts.sh creates (the shared dev hosts are not touched). Needs root; the
// sshds are stopped by pid at the end, whatever happens.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ProbeLimiter } from '../../actors/limiter.ts';
import { probe } from '../../collectors/probe.ts';
import { type TestHost, testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';
import { ansibleVersion, ensureAnsible, runAnsible, stopMasters } from './ansible.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    'hostintel-runs': { type: 'string', default: '5' },
    'first-address': { type: 'string', default: '10' },
  },
});
const hostCount = Number(values.hosts);
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
    : (sorted[Math.floor(mid)] ?? Number.NaN);
}

interface SshdFleet {
  hosts: TestHost[];
  /** The temporary directory: configs, host keys, pid files, logs, ssh control sockets. */
  dir: string;
  stop(): void;
}

/** Starts `count` sshds modelled on the dev host deb12 (same user, key and settings). */
function startSshds(count: number, firstAddress: number, model: TestHost): SshdFleet {
  // Under /run, not /tmp: sshd's StrictModes refuses an AuthorizedKeysFile below a
  // world-writable directory.
  const dir = mkdtempSync('/run/hostintel-bench-fleet-');
  chmodSync(dir, 0o755);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${model.privateKeyPath}.pub`), { mode: 0o644 });
  const pids: number[] = [];
  const fleet: SshdFleet = {
    hosts: [],
    dir,
    stop: () => {
      for (const pid of pids.splice(0)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < count; i++) {
      const address = `127.0.0.${firstAddress + i}`;
      const home = path.join(dir, `h${i}`);
      mkdirSync(home, { mode: 0o755 });
      const key = path.join(home, 'ssh_host_ed25519_key');
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench-${i}`, '-f', key]);
      const config = path.join(home, 'sshd_config');
      writeFileSync(
        config,
        [
          `ListenAddress ${address}:22`,
          `HostKey ${key}`,
          `PidFile ${path.join(home, 'sshd.pid')}`,
          `AuthorizedKeysFile ${authorizedKeys}`,
          `AllowUsers ${model.username}`,
          'PermitRootLogin no',
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'MaxStartups 100:30:200',
          'MaxSessions 50',
          'LogLevel ERROR',
          'X11Forwarding no',
          'PrintMotd no',
          '',
        ].join('\n'),
      );
      run('/usr/sbin/sshd', ['-f', config, '-E', path.join(home, 'sshd.log')]);
      pids.push(waitForPid(path.join(home, 'sshd.pid')));
      const hostKey = readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
      fleet.hosts.push({ ...model, name: `bench${i}`, address, port: 22, hostKey });
    }
  } catch (error) {
    fleet.stop();
    throw error;
  }
  return fleet;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  }
}

function waitForPid(file: string): number {
  for (let i = 0; i < 100; i++) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`sshd did not write ${file}`);
}

/** Probes every host at once, as the runner schedules probes; wall ms until all are parsed. */
async function probeFleet(hosts: TestHost[]) {
  const targets = hosts.map((host) => targetFor(host));
  const limiter = new ProbeLimiter({ global: hosts.length, perGroup: hosts.length });
  const started = performance.now();
  const results = await Promise.all(
    targets.map(async (target) => {
      const release = await limiter.acquire([]);
      try {
        return await probe(target, { type: 'facts', sudo: false });
      } finally {
        release();
      }
    }),
  );
  const ms = performance.now() - started;
  const failed = results.filter((r) => r.outcome !== 'ok');
  if (failed.length > 0) {
    throw new Error(`${failed.length} probes not ok: ${failed[0]?.outcome} ${failed[0]?.error}`);
  }
  const facts = results.reduce(
    (n, r) => n + Object.values(r.collectors).reduce((m, c) => m + (c.facts?.length ?? 0), 0),
    0,
  );
  return { ms, facts };
}

if (process.getuid?.() !== 0) {
  console.error('bench:ansible starts sshd processes on port 22: run it as root');
  process.exit(1);
}
ensureAnsible();
const fleet = startSshds(hostCount, Number(values['first-address']), testHost('deb12'));
const stopOnSignal = () => {
  fleet.stop();
  process.exit(130);
};
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
const controlPathDir = path.join(fleet.dir, 'cp');
mkdirSync(controlPathDir, { mode: 0o700 });
try {
  const first = fleet.hosts[0]?.address;
  const last = fleet.hosts.at(-1)?.address;
  console.log(
    `${fleet.hosts.length} sshd hosts ${first}…${last}, user ${fleet.hosts[0]?.username}`,
  );
  console.log(`baseline: ${ansibleVersion()}, forks ${fleet.hosts.length}, pipelining on`);
  const hostintelTimes: number[] = [];
  const ansibleTimes: number[] = [];
  let facts = 0;
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let i = 0; i < Number(values['hostintel-runs']); i++) {
      const result = await probeFleet(fleet.hosts);
      hostintelTimes.push(result.ms);
      facts = result.facts;
    }
    ansibleTimes.push(runAnsible(fleet.hosts, fleet.hosts.length, { controlPathDir }));
    const recent = hostintelTimes.slice(-Number(values['hostintel-runs']));
    console.log(
      `round ${round + 1}: hostintel ${recent.map((t) => t.toFixed(0)).join(' ')} ms, ` +
        `ansible ${ansibleTimes.at(-1)?.toFixed(0)} ms`,
    );
  }
  const hostintelMs = median(hostintelTimes);
  const ansibleMs = median(ansibleTimes);
  console.log(
    `hostintel, ${fleet.hosts.length} hosts at once (${facts} facts): ` +
      `median ${hostintelMs.toFixed(0)} ms over ${hostintelTimes.length} runs`,
  );
  console.log(
    'ansible setup+package_facts+service_facts: ' +
      `median ${ansibleMs.toFixed(0)} ms over ${ansibleTimes.length} runs ` +
      '(default ControlPersist=60s: runs after the first reuse their ssh connections)',
  );
  console.log(`ratio: hostintel is ${(ansibleMs / hostintelMs).toFixed(1)}× faster`);
} finally {
  stopMasters(controlPathDir);
  fleet.stop();
}
