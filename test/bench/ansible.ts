// The baseline the probe benchmarks compare against: Ansible fact gathering (setup +
// package_facts + service_facts) on the same hosts, installed from Debian when missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestHost } from '../support/env.ts';

/** Installs Ansible when it is missing; says so on stdout, since it changes the machine. */
export function ensureAnsible(): void {
  const found = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
  if (found) return;
  console.log('ansible-playbook is missing: installing ansible-core and python3-apt (apt-get)…');
  execFileSync('apt-get', ['install', '-y', '-qq', 'ansible-core', 'python3-apt'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** "ansible-playbook [core 2.14.3]", for the benchmark's report. */
export function ansibleVersion(): string {
  const out = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n')[0]?.trim() ?? 'unknown';
}

const playbook = `- hosts: all
  gather_facts: true
  tasks:
    - ansible.builtin.package_facts: {}
    - ansible.builtin.service_facts: {}
`;

export interface AnsibleOptions {
  /**
   * Where Ansible's ssh keeps its ControlMaster sockets (default: ~/.ansible/cp). Ansible's
   * default ControlPersist=60s keeps each connection open after the run, so a run within a
   * minute of another reuses its connections; give a directory to stop them with stopMasters.
   */
  controlPathDir?: string;
}

/** Runs the playbook against the hosts with `forks` parallelism; returns wall milliseconds. */
export function runAnsible(hosts: TestHost[], forks = 20, options: AnsibleOptions = {}): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostintel-ansible-'));
  try {
    const inventory = hosts
      .map(
        (h, i) =>
          `h${i} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.username} ` +
          `ansible_ssh_private_key_file=${h.privateKeyPath}`,
      )
      .join('\n');
    writeFileSync(path.join(dir, 'inventory'), `${inventory}\n`);
    writeFileSync(path.join(dir, 'play.yml'), playbook);
    const controlPath = options.controlPathDir
      ? `control_path_dir = ${options.controlPathDir}\n`
      : '';
    writeFileSync(
      path.join(dir, 'ansible.cfg'),
      '[defaults]\nhost_key_checking = False\ninterpreter_python = /usr/bin/python3\n' +
        `[ssh_connection]\npipelining = True\n${controlPath}`,
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asks every ssh ControlMaster with a socket in `controlPathDir` to exit. */
export function stopMasters(controlPathDir: string): void {
  for (const socket of readdirSync(controlPathDir)) {
    spawnSync(
      'ssh',
      ['-o', `ControlPath=${path.join(controlPathDir, socket)}`, '-O', 'exit', 'x'],
      {
        stdio: 'ignore',
      },
    );
  }
}
