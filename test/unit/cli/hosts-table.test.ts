import { describe, expect, it } from 'vitest';
import { cell, formatTable, hostsTable } from '../../../cli/hosts-table.ts';
import type { HostRow } from '../../../sql/hosts.ts';

const host = (overrides: Partial<HostRow>): HostRow => ({
  id: '0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71',
  name: 'web1',
  address: '192.0.2.10',
  port: 22,
  username: 'ops',
  hostKeyPolicy: 'accept-new',
  hostKey: null,
  hostKeyPinnedAt: null,
  jumpHost: null,
  sudo: false,
  labels: {},
  groups: [],
  enabled: true,
  factsIntervalS: null,
  metricsIntervalS: null,
  disabledCollectors: [],
  credential: null,
  createdAt: new Date('2026-11-29T10:00:00Z'),
  updatedAt: new Date('2026-11-29T10:00:00Z'),
  ...overrides,
});

describe('formatTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(
      formatTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'z'],
          ['', 'yyyy', ''],
        ],
      ),
    ).toBe('A    BB    C\nxxx  y     z\n     yyyy\n');
  });
});

describe('hostsTable', () => {
  it('shows labels sorted, groups, enabled, and a VIA column only when a host has a jump host', () => {
    const plain = hostsTable([host({ labels: { role: 'db', env: 'prod' }, groups: ['a', 'b'] })]);
    expect(plain.split('\n')[0]).toBe(
      'NAME  ADDRESS     PORT  USER  GROUPS  LABELS            ENABLED  ID',
    );
    expect(plain.split('\n')[1]).toBe(
      'web1  192.0.2.10  22    ops   a,b     env=prod,role=db  yes      0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71',
    );
    const jumped = hostsTable([
      host({ jumpHost: 'ops@bastion:2200', enabled: false }),
      host({ name: 'web2' }),
    ]);
    expect(jumped.split('\n')[0]).toContain('USER  VIA');
    expect(jumped).toContain('ops@bastion:2200');
    expect(jumped.split('\n')[2]).toMatch(/^web2 .* - .* yes /);
    expect(jumped.split('\n')[1]).toContain(' no ');
  });

  it('never writes control characters to the terminal', () => {
    expect(cell('a\u001b[31mred\u0007')).toBe('a?[31mred?');
    expect(hostsTable([host({ labels: { note: 'x\u009by' } })])).toContain('note=x?y');
  });
});
