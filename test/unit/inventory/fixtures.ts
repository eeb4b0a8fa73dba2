// The inventory fixtures, and Ansible's own reading of them (ansible-inventory --list,
// recorded next to them) turned into what hostintel should import.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InventoryHost } from '../../../cli/inventory/types.ts';

const dir = path.resolve(import.meta.dirname, '../../fixtures/inventory');

export const fixture = (name: string): string => readFileSync(path.join(dir, name), 'utf8');

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

const SSH_CONNECTIONS = ['ssh', 'smart', 'paramiko'];

/** What Ansible resolved for each SSH host: connection settings and groups (with ancestors). */
export function ansibleReference(inventory: string): {
  hosts: Omit<InventoryHost, 'labels' | 'proxyJump'>[];
  hostvars: Record<string, Record<string, unknown>>;
} {
  const list = JSON.parse(fixture(`${inventory}.ansible-inventory.json`)) as AnsibleList;
  const groupsOf = new Map<string, Set<string>>();
  const visit = (group: string, ancestors: string[]) => {
    const entry = list[group] as { hosts?: string[]; children?: string[] } | undefined;
    for (const host of entry?.hosts ?? []) {
      const set = groupsOf.get(host) ?? new Set<string>();
      for (const g of [...ancestors, group]) set.add(g);
      groupsOf.set(host, set);
    }
    for (const child of entry?.children ?? []) visit(child, [...ancestors, group]);
  };
  visit('all', []);
  const hosts = Object.entries(list._meta.hostvars)
    .filter(([, vars]) => SSH_CONNECTIONS.includes(String(vars.ansible_connection ?? 'ssh')))
    .map(([name, vars]) => ({
      name,
      address: String(vars.ansible_host ?? name),
      port: Number(vars.ansible_port ?? 22),
      username: vars.ansible_user === undefined ? null : String(vars.ansible_user),
      identityFile:
        vars.ansible_ssh_private_key_file === undefined
          ? null
          : String(vars.ansible_ssh_private_key_file),
      groups: [...(groupsOf.get(name) ?? [])]
        .filter((g) => g !== 'all' && g !== 'ungrouped')
        .sort(),
    }));
  return { hosts, hostvars: list._meta.hostvars };
}

/** ssh -G's answers per host, as recorded in ssh_config.ssh-G.txt. */
export function sshReference(): Map<string, Map<string, string[]>> {
  const hosts = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of fixture('ssh_config.ssh-G.txt').split('\n')) {
    const header = /^### ssh -G -F ssh_config (\S+)$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      hosts.set(header[1], current);
      continue;
    }
    const match = /^(\w+) (.*)$/.exec(line);
    if (!current || !match?.[1] || match[2] === undefined) continue;
    current.set(match[1], [...(current.get(match[1]) ?? []), match[2]]);
  }
  return hosts;
}

export function byName(hosts: readonly InventoryHost[]): Map<string, InventoryHost> {
  return new Map(hosts.map((h) => [h.name, h]));
}
