import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { parseAsOf, parseExportFormat } from '../../../cli/export.ts';
import {
  csvHeader,
  csvRows,
  exportFileName,
  hostBom,
  hostJson,
  PACKAGE_CSV_COLUMNS,
} from '../../../cli/export/host-export.ts';
import { parseReleaseSection } from '../../../collectors/os.ts';
import { packageFacts } from '../../../collectors/packages.ts';
import { parseDpkgQuery } from '../../../collectors/packages-dpkg.ts';
import type { FactRow } from '../../../sql/fact-queries.ts';
import type { HostRow } from '../../../sql/hosts.ts';

const own = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../fixtures', name), 'utf8');

const at = new Date('2026-11-29T10:00:00Z');
const host = {
  id: '0b7f6d0e-5a52-4c3e-9d7e-2f1b9a6c4d21',
  name: 'deb12.example.net',
  address: '192.0.2.12',
  port: 22,
  username: 'ops',
  labels: { env: 'prod' },
  groups: ['web'],
  enabled: true,
  createdAt: at,
} as unknown as HostRow;

const release = parseReleaseSection(own('os/debian-12__release.txt'));
const packages = parseDpkgQuery(own('packages/debian-12__dpkg.txt'));
const fact = (kind: string, key: string, value: unknown): FactRow => ({
  kind,
  key,
  value,
  validFrom: at,
  validTo: null,
  firstProbeId: 'p1',
});
const facts: FactRow[] = [
  fact('os', 'os', { ...release, kernelRelease: '6.1.0-28-amd64', arch: 'x86_64' }),
  ...packageFacts(packages).map((f) => fact(f.kind, f.key, f.value)),
];

/** RFC 4180 lines of one host's rows, split into cells (none of these cells is quoted). */
const rowsOf = (csv: string) =>
  csv
    .split('\r\n')
    .filter(Boolean)
    .map((line) => line.split(','));

describe('arguments', () => {
  it('takes the three formats and refuses others in one line', () => {
    expect(parseExportFormat('cyclonedx')).toBe('cyclonedx');
    expect(() => parseExportFormat('xml')).toThrow('--format must be one of csv, json, cyclonedx');
    expect(() => parseExportFormat(undefined)).toThrow('--format is required');
  });

  it('reads --as-of as an instant with an offset, or a date at UTC midnight', () => {
    expect(parseAsOf(undefined)).toBeNull();
    expect(parseAsOf('2026-01-15')?.toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(parseAsOf('2026-01-15T09:30:00+02:00')?.toISOString()).toBe('2026-01-15T07:30:00.000Z');
    for (const bad of ['yesterday', '2026-01-15T09:30:00', '2026-13-40', '']) {
      expect(() => parseAsOf(bad), bad).toThrow(/^--as-of must be an instant/);
    }
  });
});

describe('CSV: one row per package, led by the host', () => {
  const rows = rowsOf(csvRows(host, facts));

  it('has the header’s columns in every row, and every package of the fixture', () => {
    expect(csvHeader()).toBe(`${PACKAGE_CSV_COLUMNS.join(',')}\r\n`);
    expect(rows).toHaveLength(packages.length);
    for (const row of rows) expect(row).toHaveLength(PACKAGE_CSV_COLUMNS.length);
  });

  it('writes the fixture’s values, with the purl', () => {
    const libc = rows.find((r) => r[7] === 'libc6');
    expect(libc).toEqual([
      'deb12.example.net',
      host.id,
      '192.0.2.12',
      'debian',
      '12',
      '6.1.0-28-amd64',
      'x86_64',
      'libc6',
      '2.36-9+deb12u14',
      '',
      '9+deb12u14',
      'amd64',
      'dpkg',
      'glibc',
      '2.36-9+deb12u14',
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
    ]);
  });

  it('lists a host without package facts as one row with empty package cells', () => {
    const [row] = rowsOf(csvRows(host, []));
    expect(row).toEqual([
      'deb12.example.net',
      host.id,
      '192.0.2.12',
      ...Array(PACKAGE_CSV_COLUMNS.length - 3).fill(''),
    ]);
  });
});

describe('JSON and CycloneDX', () => {
  it('groups the host’s facts by kind', () => {
    const json = hostJson(host, facts);
    expect(json.facts.os).toMatchObject({ id: 'debian', versionId: '12' });
    expect(json.facts.packages).toHaveLength(packages.length);
    expect(json).toMatchObject({ name: 'deb12.example.net', labels: { env: 'prod' } });
  });

  it('makes a BOM that validates against CycloneDX 1.6, as of the instant given', async () => {
    const bom = hostBom(host, facts, at, new Date('2026-11-30T00:00:00Z'));
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(JSON.stringify(bom))).toBeNull();
    expect(bom.metadata.properties).toEqual([
      { name: 'hostintel:as-of', value: '2026-11-29T10:00:00.000Z' },
    ]);
    expect(bom.metadata.timestamp).toBe('2026-11-30T00:00:00.000Z');
    expect(bom.components.filter((c) => c.type === 'library')).toHaveLength(packages.length);
    expect(bom.components[0]).toMatchObject({ type: 'operating-system', name: 'debian' });
  });

  it('names files safely', () => {
    expect(exportFileName(host, 'cyclonedx')).toBe('deb12.example.net.cdx.json');
    expect(exportFileName({ name: '../etc/passwd' }, 'csv')).toBe('__etc_passwd.csv');
    expect(exportFileName({ name: 'wéb 1' }, 'json')).toBe('w_b_1.json');
  });
});
