import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { connect } from '../../collectors/transport.ts';
import { openCredential } from '../../sql/credentials.ts';
import { hostsForRunner, pinHostKey, sshTarget } from '../../sql/hosts.ts';
import { testHost } from '../support/env.ts';
import { type ProblemBody, useApi } from './api-support.ts';

const api = useApi();
const dev = testHost('deb12');
const devKey = readFileSync(dev.privateKeyPath, 'utf8');
const { utils } = ssh2;

interface HostBody {
  id: string;
  name: string;
  port: number;
  labels: Record<string, string>;
  groups: string[];
  hostKeyFingerprint: string | null;
  factsIntervalS: number | null;
  credential: { id: string; type: string } | null;
  updatedAt: string;
}

interface HostKeyBody {
  hostKey: string | null;
  keyType: string | null;
  fingerprint: string | null;
  pinnedAt: string | null;
}

const base = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  address: '192.0.2.10',
  username: 'hostintel',
  credential: { type: 'agent' },
  ...extra,
});

async function register(body: Record<string, unknown>): Promise<HostBody> {
  const res = await api.request('POST', '/v1/hosts', { json: body, token: api.tokens.operator });
  expect(res.status, res.text).toBe(201);
  return res.body as HostBody;
}

/** What OpenSSH's own ssh-keygen says the fingerprint of a public key line is. */
function sshKeygenFingerprint(line: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], {
    input: `${line}\n`,
  }).toString();
  return out.split(' ')[1] ?? '';
}

describe('host registration', () => {
  it('registers the dev host with an inline private key; 201 never shows the key', async () => {
    const res = await api.request('POST', '/v1/hosts', {
      token: api.tokens.operator,
      json: {
        name: dev.name,
        address: dev.address,
        port: dev.port,
        username: dev.username,
        hostKeyPolicy: 'strict',
        hostKey: `${dev.hostKey} root@deb12`,
        labels: { env: 'dev', os: 'debian' },
        groups: ['lab'],
        credential: { type: 'privateKey', privateKey: devKey },
      },
    });
    expect(res.status, res.text).toBe(201);
    const host = res.body as HostBody;
    expect(host.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(`/v1/hosts/${host.id}`);
    expect(host.credential).toEqual({ id: expect.any(String), type: 'privateKey' });
    expect(host.hostKeyFingerprint).toBe(sshKeygenFingerprint(dev.hostKey));
    expect(res.text).not.toContain('PRIVATE KEY');

    const got = await api.request('GET', `/v1/hosts/${host.id}`, { token: api.tokens.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(host);
  });

  it('stores the key sealed, and the runner opens it and logs in to the real sshd', async () => {
    const [row] = await api.db.sql<{ secret: Buffer }[]>`
      select c.secret from credentials c join hosts h on h.credential_id = c.id
      where h.name = ${dev.name}`;
    expect(row?.secret.toString('latin1')).not.toContain('OPENSSH');

    const [runner] = (await hostsForRunner(api.db.sql)).filter((h) => h.name === dev.name);
    expect(runner?.credential?.type).toBe('privateKey');
    expect(runner?.hostKey).toBe(dev.hostKey);
    const auth = runner?.credential && openCredential(api.secrets, runner.credential);
    expect(auth).toEqual({ type: 'privateKey', privateKey: devKey });

    const target = runner && sshTarget(runner, api.secrets);
    if (!target) throw new Error('no SSH target for the dev host');
    const connection = await connect(target, {
      connectTimeoutMs: 10_000,
      signal: AbortSignal.timeout(20_000),
    });
    try {
      const result = await connection.exec('id -un', {
        maxBytes: 1024,
        signal: AbortSignal.timeout(10_000),
      });
      expect(result.stdout.toString().trim()).toBe(dev.username);
    } finally {
      connection.close();
    }
  });

  it('accepts password and agent credentials, and a stored credential by id', async () => {
    const pw = await register(
      base('pw-host', { credential: { type: 'password', password: 'pw' } }),
    );
    expect(pw.credential?.type).toBe('password');

    const stored = await api.request('POST', '/v1/credentials', {
      json: { name: 'fleet key', type: 'privateKey', privateKey: devKey },
    });
    expect(stored.status, stored.text).toBe(201);
    const credentialId = (stored.body as { id: string }).id;
    const a = await register(base('ref-a', { credential: { id: credentialId } }));
    const b = await register(base('ref-b', { credential: { id: credentialId } }));
    expect(a.credential).toEqual({ id: credentialId, type: 'privateKey' });
    expect(b.credential?.id).toBe(credentialId);

    const list = await api.request('GET', '/v1/credentials', { token: api.tokens.operator });
    expect(list.status).toBe(200);
    const items = (list.body as { items: { id: string; hosts: number; name: string }[] }).items;
    // Inline credentials belong to their hosts and are not listed as stored ones.
    expect(items).toEqual([
      expect.objectContaining({ id: credentialId, hosts: 2, name: 'fleet key' }),
    ]);
  });

  it('accepts an encrypted key only with the passphrase that opens it', async () => {
    const key = utils.generateKeyPairSync('ed25519', {
      passphrase: 'correct horse',
      cipher: 'aes256-ctr',
      rounds: 4,
    });
    const without = await api.request('POST', '/v1/hosts', {
      json: base('enc', { credential: { type: 'privateKey', privateKey: key.private } }),
    });
    expect(without.status).toBe(422);
    expect((without.body as ProblemBody).errors).toContainEqual(
      expect.objectContaining({
        path: 'credential.privateKey',
        message: 'the key is encrypted: give its passphrase',
      }),
    );
    const wrong = await api.request('POST', '/v1/hosts', {
      json: base('enc', {
        credential: { type: 'privateKey', privateKey: key.private, passphrase: 'wrong' },
      }),
    });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('the passphrase does not decrypt the key');
    const right = await register(
      base('enc', {
        credential: { type: 'privateKey', privateKey: key.private, passphrase: 'correct horse' },
      }),
    );
    const [runner] = await hostsForRunner(api.db.sql, { ids: [right.id] });
    expect(runner?.credential && openCredential(api.secrets, runner.credential)).toEqual({
      type: 'privateKey',
      privateKey: key.private,
      passphrase: 'correct horse',
    });
  });

  it('refuses garbage, public keys, unknown fields and bad values with 422 problems', async () => {
    const garbage = 'not a key at all 0123456789';
    const cases: [Record<string, unknown>, string][] = [
      [
        base('g', { credential: { type: 'privateKey', privateKey: garbage } }),
        'credential.privateKey',
      ],
      [
        base('g', { credential: { type: 'privateKey', privateKey: dev.hostKey } }),
        'credential.privateKey',
      ],
      [base('g', { colour: 'blue' }), ''],
      [base('g', { port: 70000 }), 'port'],
      [base('g', { hostKeyPolicy: 'trust-me' }), 'hostKeyPolicy'],
      [base('g', { address: 'a b' }), 'address'],
      [base('g', { username: 'root;rm' }), 'username'],
      [base('g', { labels: { 'bad key!': 'x' } }), 'labels.bad key!'],
      [base('g', { groups: ['a', 'a'] }), 'groups'],
      [base('g', { factsIntervalS: 1 }), 'factsIntervalS'],
      [base('g', { disabledCollectors: ['shadow'] }), 'disabledCollectors.0'],
      [base('g', { hostKey: 'ssh-ed25519 AAAAnotakey' }), 'hostKey'],
      [base('bad\u0000name'), 'name'],
      [base('g', { labels: { a: 'lone \ud800 surrogate' } }), 'labels.a'],
      [{ ...base('g'), credential: undefined }, 'credential'],
    ];
    for (const [body, path] of cases) {
      const res = await api.request('POST', '/v1/hosts', { json: body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = res.body as ProblemBody;
      expect(problem.type).toBe('https://hostintel.dev/problems/validation-failed');
      expect(problem.errors?.map((e) => e.path)).toContain(path);
      expect(res.text).not.toContain(garbage);
    }
  });

  it('refuses a name that exists (409) and an unknown stored credential (422)', async () => {
    const taken = await api.request('POST', '/v1/hosts', { json: base(dev.name) });
    expect(taken.status).toBe(409);
    expect((taken.body as ProblemBody).type).toBe('https://hostintel.dev/problems/conflict');
    const unknown = await api.request('POST', '/v1/hosts', {
      json: base('x', { credential: { id: '7b0c6a43-35a4-4c48-8a2f-9d2f5a1f3e11' } }),
    });
    expect(unknown.status).toBe(422);
    expect((unknown.body as ProblemBody).errors?.[0]?.path).toBe('credential.id');
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    const malformed = await api.request('POST', '/v1/hosts', {
      raw: '{"name": ',
      contentType: 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as ProblemBody).type).toBe('https://hostintel.dev/problems/bad-request');
    const text = await api.request('POST', '/v1/hosts', {
      raw: 'name=x',
      contentType: 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('host lists', () => {
  it('pages through hosts by name with an opaque cursor', async () => {
    for (const n of ['page-c', 'page-a', 'page-e', 'page-b', 'page-d']) {
      await register(
        base(n, { labels: { suite: 'paging', parity: n < 'page-c' ? 'low' : 'high' } }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `/v1/hosts?label=suite:paging&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.request('GET', query, { token: api.tokens.viewer });
      expect(res.status, res.text).toBe(200);
      const page = res.body as { items: HostBody[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((h) => h.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
  });

  it('filters by every label and group given', async () => {
    const names = async (query: string) => {
      const res = await api.request('GET', `/v1/hosts?${query}`, { token: api.tokens.viewer });
      expect(res.status, res.text).toBe(200);
      return (res.body as { items: HostBody[] }).items.map((h) => h.name);
    };
    expect(await names('label=suite:paging&label=parity:low')).toEqual(['page-a', 'page-b']);
    expect(await names('label=env:dev')).toEqual([dev.name]);
    expect(await names('group=lab')).toEqual([dev.name]);
    expect(await names('group=lab&group=other')).toEqual([]);
    expect(await names('label=suite:nothing')).toEqual([]);
  });

  it('answers 400 for a bad filter, limit or cursor', async () => {
    for (const query of [
      'label=novalue',
      'limit=0',
      'limit=abc',
      'group=-x',
      'cursor=!!',
      'cursor=bm90LWpzb24',
      `cursor=${Buffer.from('["a","not-a-uuid"]').toString('base64url')}`,
    ]) {
      const res = await api.request('GET', `/v1/hosts?${query}`, { token: api.tokens.viewer });
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('host changes', () => {
  it('patches only the fields given and resets an interval with null', async () => {
    const host = await register(base('patch-me', { factsIntervalS: 600, labels: { a: '1' } }));
    const res = await api.request('PATCH', `/v1/hosts/${host.id}`, {
      token: api.tokens.operator,
      json: { port: 2222, labels: { b: '2' }, factsIntervalS: null },
    });
    expect(res.status, res.text).toBe(200);
    const patched = res.body as HostBody;
    expect(patched).toMatchObject({ port: 2222, labels: { b: '2' }, factsIntervalS: null });
    expect(patched.name).toBe('patch-me');
    expect(Date.parse(patched.updatedAt)).toBeGreaterThanOrEqual(Date.parse(host.updatedAt));
    const empty = await api.request('PATCH', `/v1/hosts/${host.id}`, { json: {} });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual(patched);
    const lists = await api.request('PATCH', `/v1/hosts/${host.id}`, {
      json: { groups: [], labels: {}, disabledCollectors: ['firewall', 'users'], enabled: false },
    });
    expect(lists.body).toMatchObject({
      groups: [],
      labels: {},
      disabledCollectors: ['firewall', 'users'],
      enabled: false,
    });
    const [runner] = await hostsForRunner(api.db.sql, { ids: [host.id] });
    expect(runner).toMatchObject({ enabled: false, disabledCollectors: ['firewall', 'users'] });
  });

  it('sets, shows and clears a jump host; refuses one that is not ProxyJump syntax', async () => {
    const host = await register(base('behind-bastion', { jumpHost: 'ops@bastion:2222,gw' }));
    expect(host).toMatchObject({ jumpHost: 'ops@bastion:2222,gw' });
    const [runner] = await hostsForRunner(api.db.sql, { ids: [host.id] });
    expect(runner?.jumpHost).toBe('ops@bastion:2222,gw');
    for (const jumpHost of ['a b', 'bastion:99999', 'a,b,c,d,e', '']) {
      const bad = await api.request('PATCH', `/v1/hosts/${host.id}`, { json: { jumpHost } });
      expect(bad.status, jumpHost).toBe(422);
      expect((bad.body as ProblemBody).errors?.[0]?.path).toBe('jumpHost');
    }
    const cleared = await api.request('PATCH', `/v1/hosts/${host.id}`, {
      json: { jumpHost: null },
    });
    expect(cleared.body).toMatchObject({ jumpHost: null });
  });

  it('replaces an inline credential and deletes the old one', async () => {
    const host = await register(base('swap', { credential: { type: 'password', password: 'a' } }));
    const oldId = host.credential?.id;
    const res = await api.request('PATCH', `/v1/hosts/${host.id}`, {
      json: { credential: { type: 'privateKey', privateKey: devKey } },
    });
    expect(res.status, res.text).toBe(200);
    expect((res.body as HostBody).credential?.type).toBe('privateKey');
    const [gone] = await api.db.sql`select id from credentials where id = ${oldId ?? ''}`;
    expect(gone).toBeUndefined();
  });

  it('refuses a rename onto an existing name (409) and an unknown id (404)', async () => {
    const host = await register(base('rename-me'));
    const taken = await api.request('PATCH', `/v1/hosts/${host.id}`, { json: { name: dev.name } });
    expect(taken.status).toBe(409);
    const missing = await api.request('PATCH', '/v1/hosts/3f0b1d7e-1c2a-4b5c-9d8e-7f6a5b4c3d2e', {
      json: { port: 23 },
    });
    expect(missing.status).toBe(404);
    expect((missing.body as ProblemBody).type).toBe('https://hostintel.dev/problems/not-found');
  });

  it('deletes a host and its inline credential, then answers 404', async () => {
    const host = await register(
      base('delete-me', { credential: { type: 'password', password: 'x' } }),
    );
    expect((await api.request('DELETE', `/v1/hosts/${host.id}`)).status).toBe(204);
    expect((await api.request('GET', `/v1/hosts/${host.id}`)).status).toBe(404);
    expect((await api.request('DELETE', `/v1/hosts/${host.id}`)).status).toBe(404);
    const rows = await api.db
      .sql`select id from credentials where id = ${host.credential?.id ?? ''}`;
    expect(rows).toHaveLength(0);
  });

  it('answers 404 problems for malformed ids, never 500', async () => {
    for (const id of ['not-a-uuid', '1', "'; drop table hosts; --", '%00', 'x'.repeat(300)]) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await api.request(method, `/v1/hosts/${encodeURIComponent(id)}`, {
          json: method === 'PATCH' ? { port: 1 } : undefined,
        });
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
    }
  });
});

describe('host keys', () => {
  it('shows, forgets and pins the host key, with OpenSSH’s fingerprint', async () => {
    const host = await register(base('keyed', { hostKey: dev.hostKey }));
    const shown = await api.request('GET', `/v1/hosts/${host.id}/host-key`, {
      token: api.tokens.viewer,
    });
    expect(shown.status).toBe(200);
    const key = shown.body as HostKeyBody;
    expect(key).toMatchObject({ hostKey: dev.hostKey, keyType: 'ssh-ed25519' });
    expect(key.fingerprint).toBe(sshKeygenFingerprint(dev.hostKey));
    expect(key.pinnedAt).not.toBeNull();

    expect((await api.request('DELETE', `/v1/hosts/${host.id}/host-key`)).status).toBe(204);
    const forgotten = (await api.request('GET', `/v1/hosts/${host.id}/host-key`)).body;
    expect(forgotten).toMatchObject({ hostKey: null, fingerprint: null, pinnedAt: null });

    const other = testHost('deb13').hostKey;
    const pinned = await api.request('PUT', `/v1/hosts/${host.id}/host-key`, {
      json: { hostKey: `${other} comment` },
    });
    expect(pinned.status, pinned.text).toBe(200);
    expect((pinned.body as HostKeyBody).hostKey).toBe(other);

    const bad = await api.request('PUT', `/v1/hosts/${host.id}/host-key`, {
      json: { hostKey: devKey },
    });
    expect(bad.status).toBe(422);
    expect(bad.text).not.toContain('PRIVATE KEY');
    const missing = '/v1/hosts/3f0b1d7e-1c2a-4b5c-9d8e-7f6a5b4c3d2e/host-key';
    expect((await api.request('GET', missing)).status).toBe(404);
    expect((await api.request('DELETE', missing)).status).toBe(404);
  });

  it('pins on first contact but never replaces a pinned key without replace', async () => {
    const host = await register(base('tofu'));
    const a = testHost('deb12').hostKey;
    const b = testHost('deb13').hostKey;
    expect(await pinHostKey(api.db.sql, host.id, a)).toBe('pinned');
    expect(await pinHostKey(api.db.sql, host.id, a)).toBe('unchanged');
    expect(await pinHostKey(api.db.sql, host.id, b)).toBe('conflict');
    const [row] = await hostsForRunner(api.db.sql, { ids: [host.id] });
    expect(row?.hostKey).toBe(a);
    expect(await pinHostKey(api.db.sql, host.id, b, { replace: true })).toBe('pinned');
    expect(await pinHostKey(api.db.sql, '3f0b1d7e-1c2a-4b5c-9d8e-7f6a5b4c3d2e', a)).toBe(
      'not-found',
    );
  });
});

describe('the change feed', () => {
  it('notifies hostintel_hosts with the id on insert, update and delete', async () => {
    const payloads: string[] = [];
    const listener = await api.db.sql.listen('hostintel_hosts', (id) => payloads.push(id));
    try {
      const host = await register(base('notify-me'));
      await api.request('PATCH', `/v1/hosts/${host.id}`, { json: { port: 2200 } });
      // Nothing changes: no notification.
      await api.request('PATCH', `/v1/hosts/${host.id}`, { json: { port: 2200 } });
      await api.request('DELETE', `/v1/hosts/${host.id}`);
      await expect.poll(() => payloads.length).toBe(3);
      expect(payloads).toEqual([host.id, host.id, host.id]);
    } finally {
      await listener.unlisten();
    }
  });
});
