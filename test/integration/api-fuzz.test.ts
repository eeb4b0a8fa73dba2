// Sends seeded random malformed requests to every operation of the OpenAPI document and
// asserts the API never answers 5xx, and answers every 4xx with a problem+json body.
// Reproduce a failure with HOSTINTEL_FUZZ_SEED=<the seed in the message>.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testHost } from '../support/env.ts';
import { useApi } from './api-support.ts';

const api = useApi();
const SEED = Number(process.env.HOSTINTEL_FUZZ_SEED ?? 20_261_129);
const REQUESTS = 900;

/** mulberry32: a small, good-enough seeded generator. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof generator>;

const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u001b[31m',
  '\ud800',
  '💥',
  'ﷺ',
  '\u202e',
  "'; drop table hosts; --",
  '../../etc/passwd',
  '%00',
  '%',
  '%E0%A4%A',
  '{{7*7}}',
  '<script>',
  'null',
  'true',
  '-1',
  '0',
  '1e309',
  '9999999999999999999999',
  'NaN',
  'x'.repeat(5_000),
  'ssh-ed25519 AAAA',
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'key:value',
  ':',
  'env:',
  'hi_not-a-token',
] as const;

function randomString(r: Random): string {
  if (r.chance(0.5)) return r.pick(NASTY);
  const length = r.pick([1, 3, 8, 40, 300]);
  let s = '';
  for (let i = 0; i < length; i++) {
    s += String.fromCharCode(
      r.chance(0.8) ? 32 + r.int(95) : r.chance(0.5) ? r.int(32) : 0x80 + r.int(0xffff - 0x80),
    );
  }
  return s;
}

function randomValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 5 : 8)) {
    case 0:
      return randomString(r);
    case 1:
      return r.pick([0, -1, 1, 22, 65_536, 2 ** 31, 2 ** 53 + 2, -1e308, 1.5, 1e21]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(['agent', 'password', 'privateKey', 'viewer', 'admin', 'strict', randomUUID()]);
    case 5:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(5) }, () => [
          r.chance(0.7) ? r.pick(FIELD_NAMES) : randomString(r),
          randomValue(r, depth + 1),
        ]),
      );
  }
}

const FIELD_NAMES = [
  'name',
  'address',
  'port',
  'username',
  'hostKeyPolicy',
  'hostKey',
  'labels',
  'groups',
  'sudo',
  'enabled',
  'factsIntervalS',
  'metricsIntervalS',
  'disabledCollectors',
  'credential',
  'type',
  'privateKey',
  'passphrase',
  'password',
  'id',
  'role',
  '__proto__',
  'constructor',
] as const;

const devKey = readFileSync(testHost('deb12').privateKeyPath, 'utf8');

/** Valid bodies to mutate one piece at a time: close misses reach deeper than noise. */
function templates(credentialId: string): Record<string, Record<string, unknown>[]> {
  const registration = {
    name: 'fuzz-host',
    address: '192.0.2.7',
    port: 22,
    username: 'u',
    hostKeyPolicy: 'accept-new',
    labels: { env: 'fuzz' },
    groups: ['g'],
    sudo: false,
    factsIntervalS: 600,
    disabledCollectors: ['firewall'],
    credential: { type: 'privateKey', privateKey: devKey },
  };
  return {
    'POST /v1/hosts': [
      registration,
      { name: 'fuzz-2', address: 'h', username: 'u', credential: { id: credentialId } },
    ],
    'PATCH /v1/hosts/{id}': [
      { port: 2222, labels: { a: 'b' }, credential: { type: 'password', password: 'pw' } },
      { name: 'fuzz-renamed', factsIntervalS: null, groups: [] },
    ],
    'POST /v1/tokens': [{ name: 'tok', role: 'viewer' }],
    'POST /v1/credentials': [
      { name: 'cred', type: 'password', password: 'pw' },
      { type: 'privateKey', privateKey: devKey },
    ],
    'PUT /v1/hosts/{id}/host-key': [{ hostKey: testHost('deb12').hostKey }],
  };
}

function mutate(r: Random, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || r.chance(0.05)) return randomValue(r);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const action = r.int(4);
  if (action === 0 && keys.length) delete (copy as Record<string, unknown>)[r.pick(keys)];
  else if (action === 1) (copy as Record<string, unknown>)[r.pick(FIELD_NAMES)] = randomValue(r);
  else if (keys.length) {
    const key = r.pick(keys);
    const inner = (copy as Record<string, unknown>)[key];
    (copy as Record<string, unknown>)[key] = mutate(r, inner);
  }
  return copy;
}

/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on a lone surrogate). */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

interface Request {
  path: string;
  init: { method: string; headers: Record<string, string>; body?: string };
}

function randomRequest(
  r: Random,
  op: { method: string; template: string },
  ids: { hostId: string; credentialId: string },
  tokens: Record<'viewer' | 'operator' | 'admin', string>,
): Request {
  const path = op.template.replace(/\{[^}]+\}/g, () => {
    const choice = r.int(4);
    if (choice === 0) return ids.hostId;
    if (choice === 1) return randomUUID();
    const raw = randomString(r);
    return r.chance(0.3) ? raw.replace(/[^%A-Za-z0-9]/g, '') || '%' : encode(raw);
  });
  const params = Array.from({ length: r.int(4) }, () => {
    const key = r.pick(['limit', 'cursor', 'label', 'group', 'state', 'tokenId', 'targetId', 'x']);
    const value = r.chance(0.3) ? randomUUID() : randomString(r);
    return `${key}=${r.chance(0.2) ? value.replace(/[^%A-Za-z0-9]/g, '') : encode(value)}`;
  });
  const headers: Record<string, string> = {};
  const who = r.int(10);
  if (who < 8) headers.authorization = `Bearer ${tokens.admin}`;
  else if (who === 8) headers.authorization = `Bearer ${tokens.viewer}`;
  let body: string | undefined;
  if (op.method !== 'GET' && r.chance(0.9)) {
    const kind = r.int(10);
    const all = templates(ids.credentialId);
    const own = all[`${op.method} ${op.template}`];
    const template = own && r.chance(0.8) ? r.pick(own) : r.pick(Object.values(all).flat());
    if (kind < 5) body = JSON.stringify(r.chance(0.1) ? template : mutate(r, template));
    else if (kind < 7) body = JSON.stringify(randomValue(r));
    else if (kind === 7) body = r.pick(['{', '{"a":', '[1,,2]', 'nul', '\u0000', '{"a":1}}']);
    else if (kind === 8) body = `{"name":"${'x'.repeat(300_000)}"}`;
    else body = randomString(r);
    headers['content-type'] = r.chance(0.85)
      ? 'application/json'
      : r.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'multipart/form-data',
        ]);
  }
  const query = params.length ? `?${params.join('&')}` : '';
  return { path: `${path}${query}`, init: { method: op.method, headers, body } };
}

describe('fuzzing every route', () => {
  let hostId = '';
  let credentialId = '';

  beforeAll(async () => {
    const cred = await api.request('POST', '/v1/credentials', {
      json: { type: 'password', password: 'fuzz-password' },
    });
    credentialId = (cred.body as { id: string }).id;
    const host = await api.request('POST', '/v1/hosts', {
      json: {
        name: 'fuzz-target',
        address: '192.0.2.9',
        username: 'u',
        credential: { id: credentialId },
      },
    });
    hostId = (host.body as { id: string }).id;
  });

  it(`never answers 5xx and always answers problem+json on 4xx (seed ${SEED})`, async () => {
    const doc = (await (await api.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), template })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const r = generator(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const op = ops[i % ops.length] as (typeof ops)[number];
      const req = randomRequest(r, op, { hostId, credentialId }, api.tokens);
      const body = String(req.init.body).slice(0, 200);
      const where = `#${i} seed ${SEED}: ${req.init.method} ${req.path.slice(0, 200)} ${body}`;
      const res = await api.app.request(req.path, req.init);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) {
        await res.body?.cancel();
        continue;
      }
      const text = await res.text();
      expect(res.status, `${where} → ${text.slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) {
        expect(type, where).toBe('application/problem+json');
        const problem = JSON.parse(text) as { type: string; title: string; status: number };
        expect(problem.type, where).toMatch(/^https:\/\/hostintel\.dev\/problems\/[a-z-]+$/);
        expect(problem.status, where).toBe(res.status);
        expect(problem.title, where).toEqual(expect.any(String));
        expect(text, where).not.toMatch(/\bat .*\.ts:\d+|node_modules|Error:/);
      }
    }
    // The fuzzer reached past validation too, not only the front door.
    const seen = [...statuses.keys()];
    expect(seen).toEqual(expect.arrayContaining([200, 400, 401, 404, 422]));
    expect(
      seen.some((s) => s === 201 || s === 204),
      'some mutation succeeded',
    ).toBe(true);
    expect(api.logs()).not.toContain('unhandled error');
  });
});
