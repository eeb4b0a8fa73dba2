import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_FILE, ensureAdminToken } from '../../cli/tokens.ts';
import { hashToken } from '../../sql/tokens.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi();

interface Operation {
  security?: Record<string, string[]>[];
  'x-hostintel-role'?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  operationId?: string;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function document(): Promise<OpenApiDocument> {
  const res = await api.request('GET', '/openapi.json', { token: null });
  expect(res.status).toBe(200);
  return res.body as OpenApiDocument;
}

/** Every operation of the document, its path params replaced with a random uuid. */
async function operations() {
  const doc = await document();
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{[^}]+\}/g, () => randomUUID()),
        op,
      })),
  );
}

const isPublic = (template: string) => template === '/healthz' || template === '/readyz';

describe('authentication and roles, iterated from the OpenAPI document', () => {
  it('declares a role and the bearer requirement on every operation but health', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const { method, template, op } of ops) {
      if (isPublic(template)) {
        expect(op.security, `${method} ${template}`).toBeUndefined();
        continue;
      }
      expect(template, 'every secured route is versioned').toMatch(/^\/v1\//);
      expect(op.security, `${method} ${template}`).toEqual([{ bearerAuth: [] }]);
      expect(['viewer', 'operator', 'admin']).toContain(op['x-hostintel-role']);
      if (method !== 'GET')
        expect(op['x-hostintel-role'], `${method} ${template}`).not.toBe('viewer');
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('answers 401 problem+json to every operation without a token, or with a bad one', async () => {
    for (const { method, template, path } of await operations()) {
      if (isPublic(template)) continue;
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer hi_not-a-real-token-0000000000' },
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
        { authorization: 'Bearer ' },
      ];
      for (const headers of attempts) {
        const res = await api.request(method, path, { token: null, headers, json: {} });
        expect(res.status, `${method} ${template} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="hostintel"/);
        expect((res.body as ProblemBody).type).toBe('https://hostintel.dev/problems/unauthorized');
      }
    }
  });

  it('answers 403 to viewers on every mutation, and to lower roles on admin ones', async () => {
    let mutating = 0;
    for (const { method, template, path, op } of await operations()) {
      if (isPublic(template)) continue;
      const role = op['x-hostintel-role'];
      const below =
        role === 'admin' ? ['viewer', 'operator'] : role === 'operator' ? ['viewer'] : [];
      if (method !== 'GET') {
        mutating++;
        expect(below, `${method} ${template}`).toContain('viewer');
      }
      for (const lower of below as ('viewer' | 'operator')[]) {
        const res = await api.request(method, path, { token: api.tokens[lower], json: {} });
        expect(res.status, `${lower} ${method} ${template}`).toBe(403);
        expect((res.body as ProblemBody).type).toBe('https://hostintel.dev/problems/forbidden');
      }
    }
    expect(mutating).toBeGreaterThanOrEqual(10);
  });

  it('lets the health routes, the document and /docs through without a token', async () => {
    expect((await api.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await api.request('GET', '/readyz', { token: null })).status).toBe(200);
    const docs = await api.request('GET', '/docs', { token: null });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'none'");
    // Every operation is on the page, and nothing is loaded from elsewhere.
    for (const { template } of await operations()) expect(docs.text).toContain(template);
    expect(docs.text).not.toMatch(/<script|src=|https?:\/\/(?!hostintel\.dev)/);
  });

  it('answers 404 problem+json (after authentication) for routes that do not exist', async () => {
    const res = await api.request('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await api.request('GET', '/v1/nothing-here', { token: null })).status).toBe(401);
    expect((await api.request('GET', '/nothing')).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('validates against the official OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      (await document()) as unknown as Record<string, unknown>,
    );
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('holds the OpenAPI 3.1 structural invariants', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'hostintel', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    const ids = new Set<string>();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
    for (const [template, item] of Object.entries(doc.paths)) {
      expect(template).toMatch(/^\/[a-z0-9/{}-]*$/i);
      const declared = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS).toContain(method);
        const where = `${method} ${template}`;
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(pathParams.map((p) => p.name).sort(), where).toEqual([...declared].sort());
        for (const p of pathParams) expect(p.required, where).toBe(true);
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          expect(response.description, `${where} ${status}`).toBeTruthy();
          if (Number(status) >= 400 && !isPublic(template)) {
            expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual([
              'application/problem+json',
            ]);
          }
        }
        if (op.operationId) {
          expect(ids.has(op.operationId), op.operationId).toBe(false);
          ids.add(op.operationId);
        }
      }
    }
  });

  it('never documents a secret in a response, and marks every secret writeOnly', async () => {
    const doc = await document();
    const resolve = (schema: unknown): Record<string, unknown> => {
      const ref = (schema as { $ref?: string }).$ref;
      const name = ref?.replace('#/components/schemas/', '');
      return (name ? doc.components.schemas[name] : schema) as Record<string, unknown>;
    };
    /** Every property name reachable from a schema, with the property's own schema. */
    const properties = (schema: unknown, seen = new Set<unknown>()): [string, unknown][] => {
      const s = resolve(schema);
      if (!s || typeof s !== 'object' || seen.has(s)) return [];
      seen.add(s);
      const own = Object.entries((s.properties ?? {}) as Record<string, unknown>);
      const nested = [
        ...own.map(([, v]) => v),
        ...((s.anyOf ?? s.oneOf ?? s.allOf ?? []) as unknown[]),
        ...(s.items ? [s.items] : []),
        ...(typeof s.additionalProperties === 'object' ? [s.additionalProperties] : []),
      ];
      return [...own, ...nested.flatMap((n) => properties(n, seen))];
    };
    const secretNames = ['privateKey', 'password', 'passphrase', 'secret'];
    let requestSecrets = 0;
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const response of Object.values(op.responses)) {
          for (const media of Object.values(response.content ?? {})) {
            const names = properties(media.schema).map(([n]) => n);
            for (const secret of secretNames) expect(names, template).not.toContain(secret);
          }
        }
        const body = (op as { requestBody?: { content: Record<string, { schema: unknown }> } })
          .requestBody;
        for (const media of Object.values(body?.content ?? {})) {
          for (const [name, schema] of properties(media.schema)) {
            if (!secretNames.includes(name)) continue;
            requestSecrets++;
            expect(resolve(schema).writeOnly, `${template} ${name}`).toBe(true);
          }
        }
      }
    }
    expect(requestSecrets).toBeGreaterThan(0);
  });
});

describe('tokens', () => {
  it('creates a token once, lists it without its secret, and revokes it', async () => {
    const created = await api.request('POST', '/v1/tokens', {
      json: { name: 'ci reader', role: 'viewer' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const { id, token } = created.body as { id: string; token: string };
    expect(token).toMatch(/^hi_[A-Za-z0-9_-]{43}$/);
    const [stored] = await api.db.sql<{ token_hash: Buffer }[]>`
      select token_hash from api_tokens where id = ${id}`;
    expect(stored?.token_hash.equals(hashToken(token))).toBe(true);

    expect((await api.request('GET', '/v1/hosts', { token })).status).toBe(200);
    expect((await api.request('POST', '/v1/hosts', { token, json: {} })).status).toBe(403);

    const list = await api.request('GET', '/v1/tokens');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(token);
    expect((list.body as { items: { id: string }[] }).items.map((t) => t.id)).toContain(id);

    expect((await api.request('DELETE', `/v1/tokens/${id}`)).status).toBe(204);
    expect((await api.request('GET', '/v1/hosts', { token })).status).toBe(401);
    expect((await api.request('DELETE', `/v1/tokens/${id}`)).status).toBe(404);
  });

  it('refuses a bad token body with 422', async () => {
    for (const json of [
      { name: 'x', role: 'root' },
      { role: 'viewer' },
      { name: '', role: 'admin' },
    ]) {
      const res = await api.request('POST', '/v1/tokens', { json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
  });
});

describe('the audit log', () => {
  it('records who did what to which target with which outcome, refusals included', async () => {
    const host = await api.request('POST', '/v1/hosts', {
      token: api.tokens.operator,
      json: { name: 'audited', address: '192.0.2.1', username: 'u', credential: { type: 'agent' } },
    });
    const id = (host.body as { id: string }).id;
    await api.request('DELETE', `/v1/hosts/${id}`, { token: api.tokens.viewer });
    await api.request('DELETE', `/v1/hosts/${id}`, { token: api.tokens.operator });
    await api.request('GET', `/v1/hosts/${id}`, { token: api.tokens.operator });

    const res = await api.request('GET', `/v1/audit?targetId=${id}`);
    expect(res.status, res.text).toBe(200);
    const items = (res.body as { items: Record<string, unknown>[] }).items;
    expect(items.map((e) => [e.method, e.route, e.status, e.tokenName])).toEqual([
      ['DELETE', '/v1/hosts/:id', 204, 'test operator'],
      ['DELETE', '/v1/hosts/:id', 403, 'test viewer'],
      ['POST', '/v1/hosts', 201, 'test operator'],
    ]);
    expect(items[0]).toMatchObject({ role: 'operator', path: `/v1/hosts/${id}`, targetId: id });
    expect(items[0]?.requestId).toEqual(expect.any(String));
  });

  it('pages newest first and is for admins only', async () => {
    const first = await api.request('GET', '/v1/audit?limit=1');
    const page = first.body as { items: { id: number }[]; nextCursor: string };
    expect(page.items).toHaveLength(1);
    const second = await api.request('GET', `/v1/audit?limit=1&cursor=${page.nextCursor}`);
    const next = (second.body as { items: { id: number }[] }).items[0];
    expect(next?.id).toBeLessThan(page.items[0]?.id ?? 0);
    expect((await api.request('GET', '/v1/audit', { token: api.tokens.operator })).status).toBe(
      403,
    );
    expect((await api.request('GET', '/v1/audit?cursor=abc')).status).toBe(400);
  });
});

describe('ensureAdminToken', () => {
  const silent = { info: () => {}, warn: () => {} };

  it('generates a token on first start, prints it once and keeps it 0600', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hostintel-admin-'));
    try {
      await api.db.sql`delete from api_tokens where bootstrap`;
      const printed: string[] = [];
      const first = await ensureAdminToken(api.db.sql, {
        adminToken: undefined,
        dataDir,
        log: silent,
        print: (t) => printed.push(t),
      });
      expect(first.source).toBe('generated');
      const file = path.join(dataDir, ADMIN_TOKEN_FILE);
      const token = (await readFile(file, 'utf8')).trim();
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(printed.join('')).toContain(token);
      expect((await api.request('GET', '/v1/audit', { token })).status).toBe(200);

      const again = await ensureAdminToken(api.db.sql, {
        adminToken: undefined,
        dataDir,
        log: silent,
        print: (t) => printed.push(t),
      });
      expect(again).toMatchObject({ source: 'existing', tokenId: first.tokenId });
      expect(printed).toHaveLength(1);

      // The database was reset but the file survived: the same token works again.
      await api.db.sql`delete from api_tokens where bootstrap`;
      const restored = await ensureAdminToken(api.db.sql, {
        adminToken: undefined,
        dataDir,
        log: silent,
      });
      expect(restored.source).toBe('file');
      expect((await api.request('GET', '/v1/audit', { token })).status).toBe(200);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('makes HOSTINTEL_ADMIN_TOKEN the admin token, replacing the previous one', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hostintel-admin-'));
    try {
      const a = 'env-admin-token-aaaaaaaaaaaaaaaa';
      const b = 'env-admin-token-bbbbbbbbbbbbbbbb!#';
      const first = await ensureAdminToken(api.db.sql, { adminToken: a, dataDir, log: silent });
      expect(first.source).toBe('environment');
      expect((await api.request('GET', '/v1/tokens', { token: a })).status).toBe(200);
      const second = await ensureAdminToken(api.db.sql, { adminToken: b, dataDir, log: silent });
      expect(second.tokenId).toBe(first.tokenId);
      expect((await api.request('GET', '/v1/tokens', { token: a })).status).toBe(401);
      expect((await api.request('GET', '/v1/tokens', { token: b })).status).toBe(200);
      // Two processes starting at once agree on one bootstrap token.
      await Promise.all([
        ensureAdminToken(api.db.sql, { adminToken: b, dataDir, log: silent }),
        ensureAdminToken(api.db.sql, { adminToken: b, dataDir, log: silent }),
      ]);
      const [count] = await api.db.sql<{ n: number }[]>`
        select count(*)::int as n from api_tokens where bootstrap`;
      expect(count?.n).toBe(1);
      // A token no Authorization header could carry is a configuration error.
      await expect(
        ensureAdminToken(api.db.sql, {
          adminToken: 'has spaces in it, sixteen+',
          dataDir,
          log: silent,
        }),
      ).rejects.toThrow(/visible ASCII/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
