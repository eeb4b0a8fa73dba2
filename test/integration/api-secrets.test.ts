// Secrets go in and never come out: not in any response, not in any log line, not in the
// database as plaintext. And an unexpected error is a bare 500 whose details only the log has.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { createNullControl } from '../../http/host-control.ts';
import { testHost } from '../support/env.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi({
  control: () => ({
    ...createNullControl(),
    actorViews: () => {
      throw new Error('internal detail: connection string postgres://u:p@db/x');
    },
  }),
});

const PASSPHRASE = 'passphrase-marker-7f3a9c';
const PASSWORD = 'password-marker-91bc2e';
const PASSWORD_2 = 'password-marker-second-44d1';
const GARBAGE = 'garbage-key-marker-0d9e';
const encrypted = ssh2.utils.generateKeyPairSync('ed25519', {
  passphrase: PASSPHRASE,
  cipher: 'aes256-ctr',
  rounds: 4,
}).private;
const devKey = readFileSync(testHost('deb12').privateKeyPath, 'utf8');
/** A line of key material from each private key: none may ever be seen again. */
const keyLines = [encrypted, devKey].map((k) => k.split('\n')[2] ?? '');

describe('secrets', () => {
  it('are never answered, never logged and never stored in the clear', async () => {
    const host = (json: Record<string, unknown>) => ({
      address: '192.0.2.44',
      username: 'u',
      ...json,
    });
    const calls: [string, string, unknown][] = [
      [
        'POST',
        '/v1/hosts',
        host({
          name: 's1',
          credential: { type: 'privateKey', privateKey: encrypted, passphrase: PASSPHRASE },
        }),
      ],
      [
        'POST',
        '/v1/hosts',
        host({ name: 's2', credential: { type: 'password', password: PASSWORD } }),
      ],
      [
        'POST',
        '/v1/hosts',
        host({ name: 's3', credential: { type: 'privateKey', privateKey: devKey } }),
      ],
      ['POST', '/v1/credentials', { name: 'stored', type: 'password', password: PASSWORD_2 }],
      // Refusals must not echo the secrets that came with the invalid body.
      [
        'POST',
        '/v1/hosts',
        host({ name: 's4', port: -1, credential: { type: 'password', password: PASSWORD } }),
      ],
      [
        'POST',
        '/v1/hosts',
        host({ name: 's5', credential: { type: 'privateKey', privateKey: GARBAGE } }),
      ],
      [
        'POST',
        '/v1/hosts',
        host({
          name: 's6',
          credential: {
            type: 'privateKey',
            privateKey: encrypted,
            passphrase: `${PASSPHRASE}-wrong`,
          },
        }),
      ],
      [
        'POST',
        '/v1/hosts',
        host({ name: 's1', credential: { type: 'password', password: PASSWORD } }),
      ],
      ['POST', '/v1/credentials', { type: 'password', password: PASSWORD_2, extra: PASSWORD }],
      ['PUT', '/v1/hosts/00000000-0000-4000-8000-000000000000/host-key', { hostKey: devKey }],
    ];
    for (const [method, path, json] of calls) await api.request(method, path, { json });

    const hosts = (await api.request('GET', '/v1/hosts')).body as { items: { id: string }[] };
    expect(hosts.items).toHaveLength(3);
    for (const { id } of hosts.items) {
      await api.request('GET', `/v1/hosts/${id}`);
      await api.request('PATCH', `/v1/hosts/${id}`, {
        json: { credential: { type: 'password', password: PASSWORD } },
      });
    }
    await api.request('GET', '/v1/credentials');
    await api.request('GET', '/v1/audit');
    await api.request('GET', '/openapi.json');
    const created = await api.request('POST', '/v1/tokens', {
      json: { name: 'n', role: 'viewer' },
    });
    const token = (created.body as { token: string }).token;
    await api.request('GET', '/v1/tokens');
    await api.request('GET', '/v1/hosts', { token });

    const secrets = [PASSPHRASE, PASSWORD, PASSWORD_2, GARBAGE, ...keyLines];
    const responses = api.responses();
    const logs = api.logs();
    expect(logs).toContain('"route":"/v1/hosts"'); // the capture works
    for (const secret of secrets) {
      expect(responses, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
    }
    // A token is answered once, when it is created, and never logged.
    expect(responses.split(token).length - 1).toBe(1);
    for (const t of [token, ...Object.values(api.tokens)]) expect(logs).not.toContain(t);
    expect(logs.toLowerCase()).not.toContain('bearer');

    const rows = await api.db.sql<{ secret: Buffer | null }[]>`select secret from credentials`;
    const stored = rows.map((r) => r.secret?.toString('latin1') ?? '').join('\n');
    for (const secret of secrets) expect(stored).not.toContain(secret);
  });

  it('answers an unexpected error with a bare 500 problem and logs the details', async () => {
    const res = await api.request('GET', '/v1/actors');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = res.body as ProblemBody;
    expect(problem).toMatchObject({
      type: 'https://hostintel.dev/problems/internal',
      status: 500,
      instance: '/v1/actors',
    });
    expect(problem.detail).toBeUndefined();
    expect(res.text).not.toMatch(/internal detail|postgres:\/\/|at .*\.ts/);
    expect(api.logs()).toContain('internal detail: connection string');
    expect(api.logs()).toContain('"msg":"unhandled error"');
  });
});
