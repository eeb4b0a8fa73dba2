import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowlist } from '../../collectors/registry.ts';
import type { ActorTransition, HostControl, ProbeRequestResult } from '../../http/host-control.ts';
import { sseReader } from '../support/sse.ts';
import { type ProblemBody, useApi } from './api-support.ts';

/** A HostControl whose answers the test sets, recording what the API asked. */
function fakeControl() {
  const listeners = new Set<(t: ActorTransition) => void>();
  const state = {
    next: { accepted: true, probeId: 'p-1' } as ProbeRequestResult,
    asked: [] as string[],
    views: new Map<string, Record<string, unknown>>(),
    listeners,
  };
  const control: HostControl = {
    requestProbe: async (hostId) => {
      state.asked.push(hostId);
      return state.next;
    },
    actorView: (hostId) => state.views.get(hostId) ?? null,
    actorViews: ({ state: wanted }) =>
      [...state.views.values()].filter((v) => !wanted || v.state === wanted),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { state, control };
}

const fake = fakeControl();
const api = useApi({ control: () => fake.control });

function view(hostId: string, state: string) {
  return {
    hostId,
    state,
    unreachable: false,
    inFlight: null,
    nextFactsDueAt: '2026-01-01T00:00:00.000Z',
    nextMetricsDueAt: null,
    failures: { facts: 0, metrics: 0 },
    backoffUntil: { facts: null, metrics: null },
    lastProbe: null,
    lastError: null,
    lastRefreshAt: null,
  };
}

let hostId = '';

beforeAll(async () => {
  const res = await api.request('POST', '/v1/hosts', {
    json: {
      name: 'actor-host',
      address: '192.0.2.5',
      username: 'u',
      credential: { type: 'agent' },
    },
  });
  hostId = (res.body as { id: string }).id;
});

describe('POST /v1/hosts/{id}/probe', () => {
  const probe = (id = hostId) =>
    api.request('POST', `/v1/hosts/${id}/probe`, { token: api.tokens.operator });

  it('answers 202 with the probe id the actor accepted', async () => {
    fake.state.next = { accepted: true, probeId: 'c0ffee00-0000-4000-8000-000000000001' };
    const res = await probe();
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ probeId: 'c0ffee00-0000-4000-8000-000000000001', hostId });
    expect(fake.state.asked.at(-1)).toBe(hostId);
  });

  it('answers 409 in flight and 429 with Retry-After inside the debounce window', async () => {
    fake.state.next = { accepted: false, reason: 'in-flight', retryAfterMs: 4_200 };
    const busy = await probe();
    expect(busy.status).toBe(409);
    expect((busy.body as ProblemBody).type).toBe('https://hostintel.dev/problems/probe-in-flight');
    expect(busy.headers.get('retry-after')).toBe('5');

    fake.state.next = { accepted: false, reason: 'debounce', retryAfterMs: 1_500 };
    const soon = await probe();
    expect(soon.status).toBe(429);
    expect(soon.headers.get('retry-after')).toBe('2');
    expect(soon.body).toMatchObject({
      type: 'https://hostintel.dev/problems/probe-debounced',
      retryAfterMs: 2_000,
    });

    fake.state.next = { accepted: false, reason: 'debounce', retryAfterMs: 0 };
    expect((await probe()).headers.get('retry-after')).toBe('1');
  });

  it('answers 409 for a paused host and 404 for hosts without actor or row', async () => {
    fake.state.next = { accepted: false, reason: 'paused', retryAfterMs: 0 };
    const paused = await probe();
    expect(paused.status).toBe(409);
    expect((paused.body as ProblemBody).type).toBe('https://hostintel.dev/problems/host-paused');

    fake.state.next = { accepted: false, reason: 'unknown-host', retryAfterMs: 0 };
    const noActor = await probe();
    expect(noActor.status).toBe(404);
    expect((noActor.body as ProblemBody).type).toBe('https://hostintel.dev/problems/no-actor');

    const asked = fake.state.asked.length;
    const unknown = await probe(randomUUID());
    expect(unknown.status).toBe(404);
    expect((unknown.body as ProblemBody).type).toBe('https://hostintel.dev/problems/not-found');
    expect(fake.state.asked.length, 'an unknown host never reaches the actors').toBe(asked);
  });

  it('is audited with the host as target', async () => {
    const res = await api.request('GET', `/v1/audit?targetId=${hostId}&limit=500`);
    const routes = (res.body as { items: { route: string }[] }).items.map((e) => e.route);
    expect(routes.filter((r) => r === '/v1/hosts/:id/probe').length).toBeGreaterThanOrEqual(5);
  });
});

describe('actor views', () => {
  it('answers the actor of a host, 404 no-actor without one, 404 for unknown hosts', async () => {
    expect((await api.request('GET', `/v1/hosts/${hostId}/actor`)).status).toBe(404);
    fake.state.views.set(hostId, view(hostId, 'idle'));
    const res = await api.request('GET', `/v1/hosts/${hostId}/actor`, { token: api.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(view(hostId, 'idle'));
    const missing = await api.request('GET', `/v1/hosts/${randomUUID()}/actor`);
    expect((missing.body as ProblemBody).type).toBe('https://hostintel.dev/problems/not-found');
  });

  it('lists actors by host id, filtered by state, a page at a time', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      fake.state.views.set(id, view(id, i % 2 ? 'backoff' : 'probing'));
    }
    const all = [...fake.state.views.keys()].sort();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.request(
        'GET',
        `/v1/actors?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status, res.text).toBe(200);
      const page = res.body as { items: { hostId: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((v) => v.hostId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);

    const backoff = await api.request('GET', '/v1/actors?state=backoff');
    const items = (backoff.body as { items: { hostId: string; state: string }[] }).items;
    expect(items.map((v) => v.hostId).sort()).toEqual([ids[1], ids[3]].sort());
    expect((await api.request('GET', '/v1/actors?state=sleeping')).status).toBe(400);
  });

  it('streams transitions as SSE and unsubscribes when the client leaves', async () => {
    const res = await api.app.request('/v1/actors/stream', {
      headers: { authorization: `Bearer ${api.tokens.viewer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const stream = sseReader(res);
    const { readUntil } = stream;
    await readUntil('event: ready');
    expect(fake.state.listeners.size).toBe(1);
    const transition = { hostId, view: view(hostId, 'probing') };
    for (const listener of fake.state.listeners) listener(transition);
    await readUntil('event: transition');
    await readUntil('id: 1\n\n');
    const data = /event: transition\ndata: (.*)\n/.exec(stream.text())?.[1];
    expect(JSON.parse(data ?? '')).toEqual(transition);
    await stream.cancel();
    await expect.poll(() => fake.state.listeners.size).toBe(0);
  });
});

describe('GET /v1/collectors', () => {
  it('answers the allowlist, exactly as the registry declares it', async () => {
    const res = await api.request('GET', '/v1/collectors', { token: api.tokens.viewer });
    expect(res.status).toBe(200);
    const body = res.body as { items: { collector: string; commands: { command: string }[] }[] };
    expect(body.items).toEqual(JSON.parse(JSON.stringify(allowlist())));
    expect(body.items.map((c) => c.collector)).toContain('packages');
    expect(JSON.stringify(body)).not.toContain('/etc/shadow');
  });
});
