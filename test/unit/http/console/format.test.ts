import { describe, expect, it } from 'vitest';
import {
  bytes,
  cellText,
  changedFields,
  duration,
  instantInput,
  parseInstant,
  relative,
  summary,
  utc,
  valueColumns,
} from '../../../../http/console/format.ts';

describe('times', () => {
  const now = Date.UTC(2026, 2, 1, 12, 0, 0);

  it('writes UTC times one way for every viewer', () => {
    expect(utc(new Date(Date.UTC(2026, 2, 1, 9, 5, 7)))).toBe('2026-03-01 09:05:07Z');
    expect(utc('2026-12-31T23:59:59.900Z')).toBe('2026-12-31 23:59:59Z');
    expect(utc(null)).toBe('—');
    expect(utc('not a date')).toBe('—');
  });

  it('says how far a time is, in the past or the future', () => {
    expect(relative(new Date(now - 12_000), now)).toBe('12 s ago');
    expect(relative(new Date(now + 4 * 60_000 + 5_000), now)).toBe('in 4 min');
    expect(relative(new Date(now - 3 * 3_600_000), now)).toBe('3 h ago');
    expect(relative(new Date(now - 3 * 86_400_000), now)).toBe('3 d ago');
    expect(relative(new Date(now), now)).toBe('now');
    expect(relative(null, now)).toBe('—');
  });

  it('reads a datetime-local value as UTC, or an ISO time with an offset', () => {
    expect(parseInstant('2026-03-01T10:00')?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(parseInstant('2026-03-01T10:00:30')?.toISOString()).toBe('2026-03-01T10:00:30.000Z');
    expect(parseInstant('2026-03-01T10:00:00+02:00')?.toISOString()).toBe(
      '2026-03-01T08:00:00.000Z',
    );
    for (const bad of ['', 'yesterday', '2026-13-01T10:00', '2026-03-01', '1; drop table']) {
      expect(parseInstant(bad), bad).toBeNull();
    }
    expect(parseInstant(undefined)).toBeNull();
    expect(instantInput(new Date('2026-03-01T10:00:30.250Z'))).toBe('2026-03-01T10:00:30');
  });
});

describe('sizes and durations', () => {
  it('writes bytes in binary units', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(25_276_514_304)).toBe('23.5 GiB');
    expect(bytes(1024 ** 2 * 150)).toBe('150 MiB');
    expect(bytes(null)).toBe('—');
  });

  it('writes durations', () => {
    expect(duration(37)).toBe('37 ms');
    expect(duration(1600)).toBe('1.6 s');
    expect(duration(2000)).toBe('2 s');
    expect(duration(125_000)).toBe('2 min 5 s');
    expect(duration(null)).toBe('—');
  });
});

describe('fact values', () => {
  it('writes one field as a cell', () => {
    expect(cellText('x')).toBe('x');
    expect(cellText('')).toBe('""');
    expect(cellText(null)).toBe('—');
    expect(cellText(42)).toBe('42');
    expect(cellText(false)).toBe('false');
    expect(cellText(['sudo', 'adm'])).toBe('sudo, adm');
    expect(cellText([])).toBe('[]');
    expect(cellText({ name: 'openssl', version: '3.0.19-1' })).toBe(
      'name: openssl, version: 3.0.19-1',
    );
    expect(cellText([{ a: 1 }])).toBe('[{"a":1}]');
    expect(cellText('x'.repeat(500))).toHaveLength(240);
  });

  it('puts identifying fields first, then the others as seen', () => {
    const values = [
      { evr: '1.0-1', arch: 'all', name: 'adduser', epoch: null },
      { source: null, name: 'b' },
      'not an object',
    ];
    expect(valueColumns(values)).toEqual(['name', 'evr', 'arch', 'epoch', 'source']);
    expect(valueColumns(values, 2)).toEqual(['name', 'evr']);
  });

  it('lists what changed between two versions of a fact', () => {
    const before = { name: 'openssl', evr: '3.0.17-1', arch: 'amd64' };
    const after = { name: 'openssl', evr: '3.0.19-1', arch: 'amd64', held: true };
    expect(changedFields(before, after)).toEqual(['evr: 3.0.17-1 → 3.0.19-1', 'held: — → true']);
  });

  it('sums up a value in one line, leaving out empty fields', () => {
    expect(summary({ name: 'ssh', active: 'active', description: null, groups: [] })).toBe(
      'name: ssh · active: active',
    );
    expect(summary('plain')).toBe('plain');
  });
});
