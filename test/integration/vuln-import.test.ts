// OSV import: the shared fixtures (AlmaLinux, Rocky, Alpine, Ubuntu records) from a directory,
// a file and a zip; upsert by id and `modified`; malformed records reported by id and skipped;
// the same through POST /v1/advisories.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { advisoryIdsFor, getAdvisory } from '../../sql/advisories.ts';
import { importOsvJson, importOsvPath, readZip } from '../../vuln/import.ts';
import { useApi } from './api-support.ts';

const OSV_DIR = path.resolve(import.meta.dirname, '../../../shared/fixtures/osv');
const fixtureFiles = readdirSync(OSV_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const fixture = (name: string) => JSON.parse(readFileSync(path.join(OSV_DIR, name), 'utf8'));

const api = useApi();

describe('advisories import', () => {
  it('imports every fixture record from the directory, then skips them as unchanged', async () => {
    const first = await importOsvPath(api.db.sql, OSV_DIR);
    expect(first).toEqual({ imported: 13, updated: 0, skipped: 0, errors: [] });
    expect(fixtureFiles).toHaveLength(13);
    const again = await importOsvPath(api.db.sql, OSV_DIR);
    expect(again).toEqual({ imported: 0, updated: 0, skipped: 13, errors: [] });

    const glibc = await getAdvisory(api.db.sql, 'ALSA-2026:42694');
    expect(glibc?.ecosystems).toEqual(['AlmaLinux:10']);
    expect(glibc?.aliases).toEqual(['CVE-2026-5435', 'CVE-2026-5928', 'CVE-2026-6238']);
    const [packages] = await api.db.sql<{ n: number }[]>`
      select count(*)::int as n from advisory_packages where advisory_id = 'ALSA-2026:42694'`;
    expect(packages?.n).toBe(221);
    // Ubuntu's own rating is the severity; records with only CVSS vectors stay 'unknown'.
    expect((await getAdvisory(api.db.sql, 'UBUNTU-CVE-2021-3782'))?.severity).toBe('medium');
    expect((await getAdvisory(api.db.sql, 'UBUNTU-CVE-2022-24823'))?.severity).toBe('low');
    expect((await getAdvisory(api.db.sql, 'RLSA-2021:3891'))?.severity).toBe('unknown');
  });

  it('indexes aliases, related and upstream ids', async () => {
    expect(await advisoryIdsFor(api.db.sql, 'CVE-2021-3782')).toEqual(['UBUNTU-CVE-2021-3782']);
    expect(await advisoryIdsFor(api.db.sql, 'UBUNTU-CVE-2021-3782')).toEqual([
      'UBUNTU-CVE-2021-3782',
      'USN-5614-1',
    ]);
    expect(await advisoryIdsFor(api.db.sql, 'CVE-2021-35550')).toEqual(['RLSA-2021:3891']);
    expect(await advisoryIdsFor(api.db.sql, 'CVE-2022-27449')).toEqual(['CVE-2022-27449']);
  });

  it('updates a record only when its modified is newer', async () => {
    const record = fixture('rocky-8__RLSA-2023-3220_firefox.json');
    const older = { ...record, modified: '2020-01-01T00:00:00Z', summary: 'old' };
    expect(await importOsvJson(api.db.sql, older)).toMatchObject({ skipped: 1, updated: 0 });
    const newer = {
      ...record,
      modified: '2026-11-01T00:00:00Z',
      summary: 'changed',
      related: ['CVE-2099-0001'],
    };
    expect(await importOsvJson(api.db.sql, newer)).toMatchObject({ updated: 1, imported: 0 });
    const row = await getAdvisory(api.db.sql, 'RLSA-2023:3220');
    expect(row?.summary).toBe('changed');
    expect(row?.aliases).toEqual(['CVE-2099-0001']);
    expect(await advisoryIdsFor(api.db.sql, 'CVE-2023-32205')).toEqual([]);
  });

  it('reports malformed records by id and imports the rest', async () => {
    const good = { ...fixture('almalinux-9__ALSA-2022-8194.json'), id: 'TEST-GOOD-1' };
    const badEvent = {
      id: 'TEST-BAD-1',
      modified: '2026-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'x' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }],
        },
      ],
    };
    const noModified = { id: 'TEST-BAD-2' };
    const result = await importOsvJson(api.db.sql, [good, badEvent, noModified, 42]);
    expect(result.imported).toBe(1);
    expect(result.errors.map((e) => e.id)).toEqual(['TEST-BAD-1', 'TEST-BAD-2', 'body']);
    expect(result.errors[0]?.error).toContain('exactly one of');
    expect(await getAdvisory(api.db.sql, 'TEST-BAD-1')).toBeNull();
  });

  it('reads a zip as OSV publishes it (deflated members), and a single file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osv-zip-'));
    const a = { ...fixture('alpine__CVE-2022-27449_mariadb.json'), id: 'ZIP-1' };
    const b = { ...fixture('rocky-9__RLSA-2024-3671_ruby-module.json'), id: 'ZIP-2' };
    writeFileSync(path.join(dir, 'ZIP-1.json'), JSON.stringify(a));
    writeFileSync(path.join(dir, 'ZIP-2.json'), JSON.stringify(b, null, 2));
    writeFileSync(path.join(dir, 'broken.json'), '{ not json');
    const zip = path.join(dir, 'all.zip');
    execFileSync('zip', ['-q', '-9', zip, 'ZIP-1.json', 'ZIP-2.json', 'broken.json'], {
      cwd: dir,
    });
    expect(readZip(readFileSync(zip)).map((e) => e.name)).toEqual([
      'ZIP-1.json',
      'ZIP-2.json',
      'broken.json',
    ]);
    const result = await importOsvPath(api.db.sql, zip);
    expect(result.imported).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.id).toBe('broken.json');
    expect((await getAdvisory(api.db.sql, 'ZIP-2'))?.ecosystems).toEqual(['Rocky Linux:9']);

    const single = await importOsvPath(api.db.sql, path.join(OSV_DIR, fixtureFiles[0] ?? ''));
    expect(single).toEqual({ imported: 0, updated: 0, skipped: 1, errors: [] });
  });
});

describe('POST /v1/advisories', () => {
  it('imports one record or an array as an operator; a viewer gets 403', async () => {
    const record = { ...fixture('almalinux-8__ALBA-2021-4378_krb5-bugfix.json'), id: 'API-1' };
    const denied = await api.request('POST', '/v1/advisories', {
      json: record,
      token: api.tokens.viewer,
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');

    const one = await api.request('POST', '/v1/advisories', {
      json: record,
      token: api.tokens.operator,
    });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual({ imported: 1, updated: 0, skipped: 0, errors: [] });

    const many = await api.request('POST', '/v1/advisories', {
      json: [record, { ...record, id: 'API-2' }, { id: 'API-BAD', modified: 'yesterday' }],
      token: api.tokens.operator,
    });
    expect(many.status).toBe(200);
    expect(many.body).toMatchObject({ imported: 1, updated: 0, skipped: 1 });
    expect((many.body as { errors: { id: string }[] }).errors.map((e) => e.id)).toEqual([
      'API-BAD',
    ]);
  });

  it('refuses a body that is neither a record nor an array', async () => {
    const res = await api.request('POST', '/v1/advisories', {
      json: 'nope',
      token: api.tokens.operator,
    });
    expect(res.status).toBe(422);
  });

  it('answers 404 problems for an unknown advisory and an unknown CVE', async () => {
    const res = await api.request('GET', '/v1/advisories/NOPE-1/hosts', {
      token: api.tokens.viewer,
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const cve = await api.request('GET', '/v1/vulnerabilities?cve=CVE-1999-0000', {
      token: api.tokens.viewer,
    });
    expect(cve.status).toBe(404);
  });
});
