import { describe, expect, it } from 'vitest';
import { parseAnsibleIni } from '../../../cli/inventory/ansible-ini.ts';
import { detectInventoryFormat, parseInventory } from '../../../cli/inventory/detect.ts';
import { type ExistingHost, formatPlan, planImport } from '../../../cli/inventory/plan.ts';
import { fixture } from './fixtures.ts';

const incoming = parseAnsibleIni(fixture('production.ini'));

describe('planImport', () => {
  const existing: ExistingHost[] = [
    // Registered earlier by hand, same as the inventory says.
    {
      name: 'bastion.example.net',
      address: '203.0.113.10',
      port: 22,
      username: 'ops',
      labels: { datacenter: 'fra1' },
    },
    // Moved, and relabelled; labels compare regardless of order.
    {
      name: 'db-primary.example.net',
      address: '10.20.0.99',
      port: 22,
      username: 'postgres-admin',
      labels: { role: 'primary', env: 'prod', datacenter: 'fra1', team: 'dba' },
      groups: ['prod', 'db'],
      jumpHost: null,
    },
    // Not in the inventory: never removed by an import.
    { name: 'old.example.net', address: 'old.example.net', port: 22, username: 'x', labels: {} },
  ];
  const plan = planImport(existing, incoming);

  it('adds the new hosts, changes what differs, keeps what matches', () => {
    expect(plan.add.map((h) => h.name)).toEqual([
      'web01.example.net',
      'web02.example.net',
      'web03.example.net',
      'web-canary.example.net',
      'db-replica-a.example.net',
      'db-replica-b.example.net',
    ]);
    expect(plan.unchanged.map((h) => h.name)).toEqual(['bastion.example.net']);
    expect(plan.update).toEqual([
      {
        name: 'db-primary.example.net',
        host: incoming.find((h) => h.name === 'db-primary.example.net'),
        changes: [
          { field: 'address', from: '10.20.0.99', to: '10.20.0.11' },
          {
            field: 'labels',
            from: { role: 'primary', env: 'prod', datacenter: 'fra1', team: 'dba' },
            to: { datacenter: 'fra1', env: 'prod', role: 'primary' },
          },
          { field: 'jumpHost', from: null, to: 'ops@bastion.example.net' },
        ],
      },
    ]);
  });

  it('a username the inventory does not give is not a change', () => {
    const [host] = parseAnsibleIni('h1 ansible_host=192.0.2.1\n');
    const current = { name: 'h1', address: '192.0.2.1', port: 22, username: 'root', labels: {} };
    expect(planImport([current], [host as never]).unchanged).toHaveLength(1);
  });

  it('refuses an inventory with the same name twice', () => {
    const [host] = incoming;
    expect(() => planImport([], [host as never, host as never])).toThrow(
      'lists bastion.example.net twice',
    );
  });

  it('formats a dry run', () => {
    expect(formatPlan(plan)).toEqual([
      '+ web01.example.net (deploy@web01.example.net:22) groups: prod,web',
      '+ web02.example.net (deploy@web02.example.net:22) groups: prod,web',
      '+ web03.example.net (deploy@web03.example.net:22) groups: prod,web',
      '+ web-canary.example.net (deploy@web-canary.example.net:2222) groups: prod,web',
      '+ db-replica-a.example.net (postgres-admin@db-replica-a.example.net:22 via ops@bastion.example.net) groups: db,prod',
      '+ db-replica-b.example.net (postgres-admin@db-replica-b.example.net:22 via ops@bastion.example.net) groups: db,prod',
      '~ db-primary.example.net: address 10.20.0.99 → 10.20.0.11; labels {datacenter=fra1,env=prod,role=primary,team=dba} → {datacenter=fra1,env=prod,role=primary}; jumpHost - → ops@bastion.example.net',
      '6 to add, 1 to change, 1 unchanged',
    ]);
  });
});

describe('detectInventoryFormat', () => {
  it.each([
    ['production.ini', 'ansible-ini'],
    ['nested.ini', 'ansible-ini'],
    ['production.yml', 'ansible-yaml'],
    ['ssh_config', 'ssh-config'],
  ])('%s by name and by content', (name, format) => {
    expect(detectInventoryFormat(fixture(name), name)).toBe(format);
    expect(detectInventoryFormat(fixture(name))).toBe(format);
  });

  it('parseInventory dispatches on the detected format', () => {
    expect(parseInventory(fixture('ssh_config')).map((h) => h.name)).toContain('db-primary');
    expect(parseInventory('web01 ansible_port=2200\n')[0]?.port).toBe(2200);
  });
});
