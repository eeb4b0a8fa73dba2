// The baseline the probe benchmarks compare against: Ansible fact gathering (setup +
// package_facts + service_facts) on the same hosts, installed from Debian when missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestHost } from '../support/env.ts';

export function ensureAnsible(): void {
  const found = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
  if (found) return;
  console.error('installing ansible-core (apt) for the baseline…');
  execFileSync('apt-get', ['install', '-y', '-qq', 'ansible-core', 'python3-apt'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const playbook = `- hosts: all
  gather_facts: true
  tasks:
    - ansible.builtin.package_facts: {}
    - ansible.builtin.service_facts: {}
`;

/** Runs the playbook against the hosts with `forks` parallelism; returns wall milliseconds. */
export function runAnsible(hosts: TestHost[], forks = 20): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-ansible-'));
  const inventory = hosts
    .map(
      (h, i) =>
        `h${i} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.username} ansible_ssh_private_key_file=${h.privateKeyPath}`,
    )
    .join('\n');
  writeFileSync(path.join(dir, 'inventory'), `${inventory}\n`);
  writeFileSync(path.join(dir, 'play.yml'), playbook);
  writeFileSync(
    path.join(dir, 'ansible.cfg'),
    '[defaults]\nhost_key_checking = False\ninterpreter_python = /usr/bin/python3\n[ssh_connection]\npipelining = True\n',
  );
  const started = performance.now();
  const result = spawnSync(
    'ansible-playbook',
    ['-i', 'inventory', '-f', String(forks), 'play.yml'],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg') },
    },
  );
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`ansible-playbook failed:\n${result.stdout}\n${result.stderr}`);
  return elapsed;
}
