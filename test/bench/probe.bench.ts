// npm run bench:probe [-- --runs N]: full probes of the dev sshd host deb12 (one SSH round
// trip, every collector) against Ansible's setup + package_facts + service_facts on the same
// host, in the same run. Prints the medians and the ratio. Not a test: no assertions.
import { parseArgs } from 'node:util';
import { probe } from '../../collectors/probe.ts';
import { connect, type SshTarget } from '../../collectors/transport.ts';
import { testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';
import { ensureAnsible, runAnsible } from './ansible.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'ansible-runs': { type: 'string', default: '3' },
  },
});
const host = testHost('deb12');
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
    : (sorted[Math.floor(mid)] ?? Number.NaN);
}

// Where a probe's time goes: the SSH floor (connect, auth, one exec of `true`) is measured in
// the same loop, so "probe − floor" is the script on the host plus transfer and parsing.
const probeTimes: number[] = [];
const floorTimes: number[] = [];
let facts = 0;
for (let i = 0; i < Number(values.runs); i++) {
  const target = targetFor(host);
  const started = performance.now();
  const result = await probe(target, { type: 'facts', sudo: false });
  probeTimes.push(performance.now() - started);
  if (result.outcome !== 'ok') throw new Error(`probe ${result.outcome}: ${result.error}`);
  facts = Object.values(result.collectors).reduce((n, c) => n + (c.facts?.length ?? 0), 0);
  floorTimes.push(await sshFloor(target));
}

async function sshFloor(target: SshTarget): Promise<number> {
  const signal = new AbortController().signal;
  const started = performance.now();
  const connection = await connect(target, { connectTimeoutMs: 10_000, signal });
  try {
    await connection.exec('true\n', { maxBytes: 1024, signal });
  } finally {
    connection.close();
  }
  return performance.now() - started;
}

ensureAnsible();
const ansibleTimes = Array.from({ length: Number(values['ansible-runs']) }, () =>
  runAnsible([host], 1),
);

const hostintelMs = median(probeTimes);
const ansibleMs = median(ansibleTimes);
console.log(`host: ${host.username}@${host.address} (${facts} facts per probe)`);
console.log(
  `hostintel full probe: median ${hostintelMs.toFixed(0)} ms over ${probeTimes.length} runs ` +
    `(SSH connect + auth + exec of \`true\`: median ${median(floorTimes).toFixed(0)} ms)`,
);
console.log(
  'ansible setup+package_facts+service_facts: ' +
    `median ${ansibleMs.toFixed(0)} ms over ${ansibleTimes.length} runs`,
);
console.log(`ratio: hostintel is ${(ansibleMs / hostintelMs).toFixed(1)}× faster`);
