import { describe, expect, it } from 'vitest';
import { parseOsvEcosystem } from '../../../vuln/ecosystems.ts';
import { type OsvRecord, parseOsvRecords } from '../../../vuln/osv.ts';
import { isValidVersion } from '../../../vuln/versions.ts';
import { listFixtures, readFixture } from './fixtures.ts';

const loadRecord = (file: string): OsvRecord => {
  const { records, errors } = parseOsvRecords(JSON.parse(readFixture(`osv/${file}`)));
  expect(errors).toEqual([]);
  expect(records).toHaveLength(1);
  const [record] = records;
  if (!record) throw new Error('no record');
  return record;
};

const minimal = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  ...extra,
});

describe('parseOsvRecords on the real advisories', () => {
  const files = listFixtures('osv');

  it('finds the 13 fixture files', () => {
    expect(files).toHaveLength(13);
  });

  it.each(files)('%s parses with no error', (file) => {
    const record = loadRecord(file);
    expect(record.affected.length).toBeGreaterThan(0);
    for (const affected of record.affected) {
      expect(affected.package?.name).toMatch(/^[a-z0-9][a-z0-9+._-]*$/);
      expect(affected.ranges.length).toBeGreaterThan(0);
    }
  });

  it.each(files)("%s: every version in it is valid for its ecosystem's scheme", (file) => {
    const record = loadRecord(file);
    for (const affected of record.affected) {
      const ecosystem = parseOsvEcosystem(affected.package?.ecosystem ?? '');
      if (!ecosystem.supported) throw new Error(ecosystem.reason);
      const versions = [
        ...affected.versions,
        ...affected.ranges.flatMap((r) => r.events.map((e) => Object.values(e)[0] as string)),
      ].filter((v) => v !== '0');
      const invalid = versions.filter((v) => !isValidVersion(ecosystem.scheme, v));
      expect(invalid).toEqual([]);
    }
  });

  it('keeps ids, dates, related CVEs, severity, purl and range database_specific (Rocky)', () => {
    const record = loadRecord('rocky-8__RLSA-2021-3891_java11.json');
    expect(record.id).toBe('RLSA-2021:3891');
    expect(record.schema_version).toBe('1.3.1');
    expect(record.modified).toBe('2023-02-02T14:11:02.724098Z');
    expect(record.published).toBe('2021-10-20T12:41:00Z');
    expect(record.withdrawn).toBeUndefined();
    expect(record.summary).toBe('Important: java-11-openjdk security update');
    expect(record.aliases).toEqual([]);
    expect(record.related).toHaveLength(10);
    expect(record.related[0]).toBe('CVE-2021-35550');
    expect(record.severity).toEqual([
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:N/A:N' },
    ]);
    expect(record.affected).toEqual([
      {
        package: {
          ecosystem: 'Rocky Linux:8',
          name: 'java-11-openjdk',
          purl: 'pkg:rpm/rocky-linux/java-11-openjdk?distro=rocky-linux-8-4-legacy&epoch=1',
        },
        severity: [],
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '0' }, { fixed: '1:11.0.13.0.8-1.el8_4' }],
            database_specific: { yum_repository: 'AppStream' },
          },
        ],
        versions: [],
      },
    ]);
  });

  it('keeps Ubuntu versions lists, ecosystem_specific binaries and upstream ids', () => {
    const record = loadRecord('ubuntu-pro-14.04-26.04__UBUNTU-CVE-2022-24823_netty.json');
    expect(record.id).toBe('UBUNTU-CVE-2022-24823');
    expect(record.upstream).toEqual(['CVE-2022-24823']);
    expect(record.related).toEqual(['USN-7284-1']);
    expect(record.severity.map((s) => s.type)).toEqual(['CVSS_V3', 'CVSS_V3', 'Ubuntu']);
    expect(record.affected.map((a) => a.package?.ecosystem)).toEqual([
      'Ubuntu:Pro:14.04:LTS',
      'Ubuntu:Pro:16.04:LTS',
      'Ubuntu:Pro:18.04:LTS',
      'Ubuntu:Pro:20.04:LTS',
      'Ubuntu:Pro:22.04:LTS',
      'Ubuntu:Pro:24.04:LTS',
      'Ubuntu:25.10',
      'Ubuntu:Pro:26.04:LTS',
    ]);
    const trusty = record.affected[0];
    expect(trusty?.ranges).toEqual([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]);
    expect(trusty?.versions).toEqual([
      '1:3.2.6.Final-2',
      '1:3.2.6.Final-2+deb8u2build0.14.04.1~esm1',
      '1:3.2.6.Final-2+deb8u2ubuntu0.1~esm1',
    ]);
    expect(trusty?.ecosystem_specific).toEqual({
      binaries: [
        { binary_name: 'libnetty-java', binary_version: '1:3.2.6.Final-2+deb8u2ubuntu0.1~esm1' },
      ],
    });
  });

  it('keeps an Alpine record keyed by a bare CVE id, one entry per Alpine release', () => {
    const record = loadRecord('alpine__CVE-2022-27449_mariadb.json');
    expect(record.id).toBe('CVE-2022-27449');
    expect(record.affected.map((a) => [a.package?.ecosystem, a.ranges[0]?.events[1]])).toEqual([
      ['Alpine:v3.12', { fixed: '10.4.25-r0' }],
      ['Alpine:v3.13', { fixed: '10.5.16-r0' }],
      ['Alpine:v3.14', { fixed: '10.5.16-r0' }],
      ['Alpine:v3.15', { fixed: '10.6.8-r0' }],
      ['Alpine:v3.16', { fixed: '10.6.8-r0' }],
    ]);
  });

  it('parses an array of records at once (the AlmaLinux ones)', () => {
    const almaFiles = files.filter((f) => f.startsWith('almalinux'));
    const input = almaFiles.map((f) => JSON.parse(readFixture(`osv/${f}`)));
    const { records, errors } = parseOsvRecords(input);
    expect(errors).toEqual([]);
    expect(records.map((r) => r.id)).toEqual([
      'ALSA-2026:42694',
      'ALSA-2026:A006',
      'ALBA-2021:4378',
      'ALSA-2026:38503',
      'ALSA-2026:8339',
      'ALSA-2022:8194',
    ]);
    expect(records.map((r) => r.affected.length)).toEqual([221, 104, 7, 4, 8, 3]);
  });
});

describe('parseOsvRecords on malformed input', () => {
  it('reports bad records by id and keeps the good ones', () => {
    const good = JSON.parse(readFixture('osv/almalinux-9__ALSA-2022-8194.json'));
    const { records, errors } = parseOsvRecords([
      minimal('BAD-1', {
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'a' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1.0' }] }],
          },
        ],
      }),
      good,
      42,
      { id: 'BAD-2' },
      minimal('BAD-3', {
        affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1.0' }] }] }],
      }),
      minimal('BAD-4', {
        affected: [{ ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] }],
      }),
      minimal('BAD-5', { modified: 'yesterday' }),
      minimal('BAD-6', {
        affected: [{ ranges: [{ type: 'WHATEVER', events: [{ introduced: '0' }] }] }],
      }),
      minimal('BAD-7', { affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{}] }] }] }),
    ]);
    expect(records.map((r) => r.id)).toEqual(['ALSA-2022:8194']);
    expect(errors.map((e) => e.id)).toEqual([
      'BAD-1',
      null,
      'BAD-2',
      'BAD-3',
      'BAD-4',
      'BAD-5',
      'BAD-6',
      'BAD-7',
    ]);
    const byId = (id: string | null) => errors.find((e) => e.id === id)?.error;
    expect(byId('BAD-1')).toContain('exactly one of introduced, fixed, last_affected, limit');
    expect(byId(null)).toContain('record #2');
    expect(byId('BAD-2')).toContain('modified');
    expect(byId('BAD-3')).toContain('at least one "introduced" event');
    expect(byId('BAD-4')).toContain('a GIT range needs "repo"');
    expect(byId('BAD-5')).toContain('modified');
    expect(byId('BAD-6')).toContain('type');
    expect(byId('BAD-7')).toContain('(has 0)');
  });

  it('accepts a single record and fills absent lists with []', () => {
    const { records, errors } = parseOsvRecords(
      minimal('OSV-1', {
        withdrawn: '2024-02-01T00:00:00+01:00',
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'openssl' },
            ranges: [
              {
                type: 'ECOSYSTEM',
                events: [{ introduced: '0' }, { last_affected: '3.0.11-1~deb12u1' }],
              },
            ],
          },
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(records[0]).toMatchObject({
      id: 'OSV-1',
      withdrawn: '2024-02-01T00:00:00+01:00',
      aliases: [],
      related: [],
      severity: [],
    });
    expect(records[0]?.affected[0]?.versions).toEqual([]);
  });

  it('reports a non-object input without an id', () => {
    expect(parseOsvRecords('nope').errors).toEqual([
      { id: null, error: 'record: (root): Invalid input: expected object, received string' },
    ]);
    expect(parseOsvRecords([])).toEqual({ records: [], errors: [] });
  });
});
