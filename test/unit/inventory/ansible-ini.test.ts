import { describe, expect, it } from 'vitest';
import { parseAnsibleIni, parseValue } from '../../../cli/inventory/ansible-ini.ts';
import { InventoryError, type InventoryNotice } from '../../../cli/inventory/types.ts';
import { ansibleReference, byName, fixture } from './fixtures.ts';

function parse(name: string) {
  const notices: InventoryNotice[] = [];
  const hosts = parseAnsibleIni(fixture(name), { file: name, onNotice: (n) => notices.push(n) });
  return { hosts, notices };
}

describe.each(['production.ini', 'nested.ini'])('%s', (name) => {
  const { hosts } = parse(name);
  const reference = ansibleReference(name);

  it('has the SSH hosts ansible-inventory lists, with the same address, port, user, key and groups', () => {
    const got = hosts.map(({ labels: _labels, proxyJump: _proxy, ...rest }) => rest);
    expect(byName(got as never)).toEqual(byName(reference.hosts as never));
    expect(hosts.length).toBe(reference.hosts.length);
  });

  it("turns Ansible's merged plain vars into labels, and nothing else", () => {
    for (const host of hosts) {
      const vars = reference.hostvars[host.name] ?? {};
      for (const [key, value] of Object.entries(host.labels)) expect(String(vars[key])).toBe(value);
      const left = Object.keys(vars).filter((k) => !(k in host.labels));
      for (const key of left) expect(key).toMatch(/^ansible_|password/);
    }
  });
});

describe('production.ini', () => {
  const { hosts, notices } = parse('production.ini');
  const host = byName(hosts);

  it('expands ranges, keeps the file order and skips the local connection with a notice', () => {
    expect(hosts.map((h) => h.name)).toEqual([
      'bastion.example.net',
      'web01.example.net',
      'web02.example.net',
      'web03.example.net',
      'web-canary.example.net',
      'db-primary.example.net',
      'db-replica-a.example.net',
      'db-replica-b.example.net',
    ]);
    expect(notices).toEqual([
      {
        line: 39,
        host: 'localhost',
        message: 'localhost skipped: ansible_connection=local is not SSH',
      },
    ]);
  });

  it('applies group vars by depth (db over prod over all) and host vars over both', () => {
    expect(host.get('db-primary.example.net')).toEqual({
      name: 'db-primary.example.net',
      address: '10.20.0.11',
      port: 22,
      username: 'postgres-admin',
      identityFile: '~/.ssh/prod_ed25519',
      proxyJump: 'ops@bastion.example.net',
      groups: ['db', 'prod'],
      labels: { datacenter: 'fra1', env: 'prod', role: 'primary' },
    });
    expect(host.get('web01.example.net')?.labels).toEqual({
      datacenter: 'fra1',
      env: 'prod',
      http_port: '8080',
      role: 'frontend',
    });
  });

  it('takes the port of a host:port pattern over the all:vars ansible_port', () => {
    expect(host.get('web-canary.example.net')).toMatchObject({
      port: 2222,
      labels: { canary: 'true' },
    });
  });

  it('never turns a secret-looking var into a label', () => {
    for (const h of hosts) expect(h.labels).not.toHaveProperty('db_password');
  });
});

describe('nested.ini', () => {
  const host = byName(parse('nested.ini').hosts);

  it('follows children declared before the group they name', () => {
    expect(host.get('host4')).toMatchObject({ groups: ['northeast', 'usa'], username: 'admin' });
    expect(host.get('host2')?.groups).toEqual(['atlanta', 'raleigh', 'southeast', 'usa']);
  });

  it('lets the deeper group win: southeast (2) over usa (1), northeast (4) over usa', () => {
    expect(host.get('host1')?.labels.escape_pods).toBe('2');
    expect(host.get('host4')?.labels.escape_pods).toBe('4');
  });

  it('reads a jump host out of ProxyCommand="ssh -W %h:%p …"', () => {
    expect(host.get('host3')?.proxyJump).toBe('jump@gw.example.org:2200');
  });
});

describe('invalid files are rejected whole, with the line', () => {
  it.each([
    ['broken-unclosed-quote.ini', 3, 'cannot parse host line: no closing quotation'],
    ['broken-undefined-child.ini', 6, 'names group "databases", which is never declared'],
    [
      'broken-vars-undefined.ini',
      4,
      'section [webservers:vars] is for a group that is never declared',
    ],
    ['broken-port.ini', 7, 'ansible_port: port 70000 is out of range'],
    ['broken-template.ini', 3, 'ansible_host is a Jinja2 template'],
    ['broken-cycle.ini', 8, 'group children form a cycle: a → b → c → a'],
    ['broken-range.ini', 2, 'begin and end of equal length'],
    ['broken-section.ini', 4, 'invalid section [web servers]'],
  ])('%s: line %i', (name, line, message) => {
    let error: unknown;
    try {
      parseAnsibleIni(fixture(name), { file: name });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InventoryError);
    const e = error as InventoryError;
    expect({ file: e.file, line: e.line }).toEqual({ file: name, line });
    expect(e.message).toContain(`${name}:${line}: `);
    expect(e.reason).toContain(message);
  });

  it('names the file "inventory" when no name is given', () => {
    expect(() => parseAnsibleIni('[web]\nweb01 ansible_port=0\n')).toThrow('inventory:2: ');
  });

  it('rejects a host line with a bare word after the host', () => {
    expect(() => parseAnsibleIni('[web]\nweb01 deploy\n')).toThrow(
      'inventory:2: expected key=value after the host name, got "deploy"',
    );
  });

  it('rejects an unknown section type', () => {
    expect(() => parseAnsibleIni('[web:hostvars]\nx=1\n')).toThrow(
      'inventory:1: section [web:hostvars]',
    );
  });
});

describe('parseValue (what ast.literal_eval makes of an INI value)', () => {
  it.each([
    ['22', 22],
    ['-1.5', -1.5],
    ["'quoted value'", 'quoted value'],
    ['"it\\"s"', 'it"s'],
    ['True', true],
    ['None', null],
    ['plain', 'plain'],
    ['[1, 2]', { structured: true }],
    ["{{ lookup('env', 'X') }}", "{{ lookup('env', 'X') }}"],
    ["'a' 'b'", "'a' 'b'"],
  ])('%s', (raw, value) => {
    expect(parseValue(raw)).toEqual(value);
  });
});
