// npm run bench:probe [-- --runs N]: full probes of the dev sshd host deb12 (one SSH round
// trip, every collector) against Ansible's setup + package_facts + service_facts on the same
// host, in the same run. Prints the medians and the ratio. Not a test: no assertions.
import { parseArgs } from 'node:util';
import { probe } from '../../collectors/probe.ts';
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
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const probeTimes: number[] = [];
let facts = 0;
for (let i = 0; i < Number(values.runs); i++) {
  const started = performance.now();
  const result = await probe(targetFor(host), { type: 'facts', sudo: false });
  probeTimes.push(performance.now() - started);
  if (result.outcome !== 'ok') throw new Error(`probe ${result.outcome}: ${result.error}`);
  facts = Object.values(result.collectors).reduce((n, c) => n + (c.facts?.length ?? 0), 0);
}

ensureAnsible();
const ansibleTimes = Array.from({ length: Number(values['ansible-runs']) }, () =>
  runAnsible([host], 1),
);

const hostintelMs = median(probeTimes);
const ansibleMs = median(ansibleTimes);
console.log(`host: ${host.username}@${host.address} (${facts} facts per probe)`);
console.log(
  `hostintel full probe: median ${hostintelMs.toFixed(0)} ms over ${probeTimes.length} runs`,
);
console.log(
  `ansible setup+package_facts+service_facts: median ${ansibleMs.toFixed(0)} ms over ${ansibleTimes.length} runs`,
);
console.log(`ratio: hostintel is ${(ansibleMs / hostintelMs).toFixed(1)}× faster`);
