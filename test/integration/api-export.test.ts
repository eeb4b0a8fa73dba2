// GET /v1/hosts/{id}/export: a host's inventory as a download, through app.request().
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_CSV_COLUMNS } from '../../cli/export/host-export.ts';
import { applyProbe } from '../../sql/facts.ts';
import { addHost, dpkg, packagesProbe, probeDevHost } from './api-read-support.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi();
const t0 = new Date(Date.now() + 60_000);
const t1 = new Date(Date.now() + 120_000);
const between = new Date((t0.getTime() + t1.getTime()) / 2).toISOString();
const ids: Record<string, string> = {};
const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

beforeAll(async () => {
  const { sql } = api.db;
  ids.deb12 = await addHost(sql, api.secrets, 'deb12');
  await probeDevHost(sql, ids.deb12, 'deb12');
  ids.history = await addHost(sql, api.secrets, 'history/old');
  await applyProbe(
    sql,
    ids.history,
    packagesProbe(t0, dpkg(['openssl', 'amd64', '3.0.11-1~deb12u1', '', ''])),
  );
  await applyProbe(
    sql,
    ids.history,
    packagesProbe(t1, dpkg(['openssl', 'amd64', '3.0.11-1~deb12u2', '', ''])),
  );
}, 60_000);

const exportOf = (
  id: string | undefined,
  query: string,
  token: string | null = api.tokens.viewer,
) => api.request('GET', `/v1/hosts/${id}/export?${query}`, { token });

describe('GET /v1/hosts/{id}/export', () => {
  it('needs a token; a viewer may export', async () => {
    const anonymous = await exportOf(ids.deb12, 'format=json', null);
    expect(anonymous.status).toBe(401);
    expect((await exportOf(ids.deb12, 'format=json')).status).toBe(200);
  });

  it('answers a CycloneDX 1.6 BOM as an attachment, with its media type', async () => {
    const res = await exportOf(ids.deb12, 'format=cyclonedx');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.cyclonedx+json');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="deb12.cdx.json"');
    expect(await validator.validate(res.text)).toBeNull();
    const [row] = await api.db.sql<{ n: number }[]>`
      select count(*)::int as n from host_facts
      where host_id = ${ids.deb12 ?? ''} and kind = 'package' and valid_to is null`;
    const bom = res.body as { components: { type: string }[] };
    expect(bom.components.filter((c) => c.type === 'library')).toHaveLength(row?.n ?? -1);
  });

  it('answers CSV and JSON, each with its type and a safe file name', async () => {
    const csv = await exportOf(ids.history, 'format=csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="history_old.csv"');
    expect(csv.text.split('\r\n')).toEqual([
      PACKAGE_CSV_COLUMNS.join(','),
      `history/old,${ids.history},192.0.2.10,,,,,openssl,3.0.11-1~deb12u2,,1~deb12u2,amd64,` +
        'dpkg,,,pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64',
      '',
    ]);
    const json = await exportOf(ids.history, 'format=json');
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.body).toMatchObject({
      hosts: [{ id: ids.history, name: 'history/old', facts: { packages: [{ name: 'openssl' }] } }],
    });
  });

  it('answers the state as of an instant', async () => {
    const res = await exportOf(ids.history, `format=json&asOf=${encodeURIComponent(between)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      asOf: between,
      hosts: [{ facts: { packages: [{ name: 'openssl', evr: '3.0.11-1~deb12u1' }] } }],
    });
    const before = await exportOf(ids.history, 'format=cyclonedx&asOf=2001-01-01T00:00:00Z');
    expect((before.body as { components: unknown[] }).components).toEqual([]);
  });

  it('answers 404 for an unknown host, 400 for an unknown format or instant', async () => {
    const unknown = await exportOf('0b9f1f4e-3a52-4c1e-9d0a-3c5b2f5e8a71', 'format=csv');
    expect(unknown.status).toBe(404);
    expect((unknown.body as ProblemBody).detail).toBe('no such host');
    expect((await exportOf('not-a-uuid', 'format=csv')).status).toBe(404);
    for (const query of ['format=xml', '', 'format=csv&asOf=yesterday']) {
      const res = await exportOf(ids.deb12, query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = res.body as ProblemBody;
      expect(problem.type).toBe('https://hostintel.dev/problems/invalid-parameter');
      expect(problem.errors?.[0]?.path, query).toBe(query.includes('asOf') ? 'asOf' : 'format');
    }
  });

  it('is in the OpenAPI document with its three media types and the viewer role', async () => {
    const doc = (await api.request('GET', '/openapi.json', { token: null })).body as {
      paths: Record<string, { get: Record<string, unknown> }>;
    };
    const op = doc.paths['/v1/hosts/{id}/export']?.get as {
      'x-hostintel-role': string;
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(op['x-hostintel-role']).toBe('viewer');
    expect(Object.keys(op.responses['200']?.content ?? {}).sort()).toEqual([
      'application/json',
      'application/vnd.cyclonedx+json',
      'text/csv',
    ]);
  });
});
