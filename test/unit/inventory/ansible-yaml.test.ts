import { describe, expect, it } from 'vitest';
import { parseAnsibleIni } from '../../../cli/inventory/ansible-ini.ts';
import { parseAnsibleYaml } from '../../../cli/inventory/ansible-yaml.ts';
import { InventoryError, type InventoryNotice } from '../../../cli/inventory/types.ts';
import { ansibleReference, byName, fixture } from './fixtures.ts';

const notices: InventoryNotice[] = [];
const hosts = parseAnsibleYaml(fixture('production.yml'), {
  file: 'production.yml',
  onNotice: (n) => notices.push(n),
});
const host = byName(hosts);

describe('production.yml', () => {
  const reference = ansibleReference('production.yml');

  it('has the SSH hosts ansible-inventory lists, with the same address, port, user, key and groups', () => {
    const got = hosts.map(({ labels: _labels, proxyJump: _proxy, ...rest }) => rest);
    expect(byName(got as never)).toEqual(byName(reference.hosts as never));
  });

  it("labels are Ansible's merged plain vars: not vaulted, structured or ansible_* ones", () => {
    for (const h of hosts) {
      const vars = reference.hostvars[h.name] ?? {};
      for (const [key, value] of Object.entries(h.labels)) expect(String(vars[key])).toBe(value);
      const left = Object.keys(vars).filter((k) => !(k in h.labels));
      for (const key of left) expect(key).toMatch(/^ansible_|^db_password$|^backup_window$/);
    }
    expect(host.get('db-primary.example.net')?.labels).toEqual({
      datacenter: 'fra1',
      env: 'prod',
      release: '2024.11',
      role: 'primary',
    });
  });

  it('applies a merge key (<<: *db_access) with the explicit keys winning', () => {
    expect(host.get('backup01.example.net')).toMatchObject({
      username: 'postgres-admin',
      proxyJump: 'ops@bastion.example.net',
      labels: { role: 'backup' },
      groups: ['backup', 'prod'],
    });
  });

  it('skips the local connection with a notice naming its line', () => {
    expect(notices).toEqual([
      {
        line: 9,
        host: 'localhost',
        message: 'localhost skipped: ansible_connection=local is not SSH',
      },
    ]);
  });

  it('imports the same hosts as the INI inventory of the same fleet', () => {
    const ini = byName(parseAnsibleIni(fixture('production.ini')));
    for (const [name, fromIni] of ini) {
      const { release: _release, ...labels } = host.get(name)?.labels ?? {};
      expect({ ...host.get(name), labels }).toEqual(fromIni);
    }
  });
});

describe('YAML edge cases', () => {
  it('an empty file has no hosts; a group may be empty', () => {
    expect(parseAnsibleYaml('')).toEqual([]);
    expect(parseAnsibleYaml('all:\n  children:\n    empty:\n')).toEqual([]);
  });

  it('reads JSON too, since JSON is YAML', () => {
    const json = JSON.stringify({ all: { hosts: { 'h1:2200': { ansible_user: 'ops' } } } });
    expect(parseAnsibleYaml(json)).toEqual([
      {
        name: 'h1',
        address: 'h1',
        port: 2200,
        username: 'ops',
        identityFile: null,
        proxyJump: null,
        groups: [],
        labels: {},
      },
    ]);
  });

  it('a vaulted connection setting is an error, since hostintel cannot decrypt it', () => {
    const text =
      'all:\n  hosts:\n    h1:\n      ansible_user: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6231\n';
    expect(() => parseAnsibleYaml(text)).toThrow(
      'inventory:4: ansible_user is encrypted with Ansible Vault',
    );
  });
});

describe('invalid files are rejected whole, with the line', () => {
  it.each([
    ['broken-syntax.yml', 6, 'invalid YAML: All mapping items must start at the same column'],
    ['broken-hosts-list.yml', 5, '"hosts" of group "web" must be a mapping, not a list'],
    ['broken-unexpected-key.yml', 6, 'unexpected key "host_vars" in group "web"'],
  ])('%s: line %i', (name, line, message) => {
    let error: unknown;
    try {
      parseAnsibleYaml(fixture(name), { file: name });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as InventoryError).line).toBe(line);
    expect((error as InventoryError).message).toContain(`${name}:${line}: ${message}`);
  });

  it('a top level that is not a mapping', () => {
    expect(() => parseAnsibleYaml('- web01\n- web02\n')).toThrow(
      'inventory:1: an inventory must be a mapping',
    );
  });
});
