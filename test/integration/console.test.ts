// The web console through app.request(): login and its cookie, the redirect when logged out,
// CSRF refusals, roles on "probe now", hostile host data escaped on every page, the event
// stream, the audit trail — on a real database with a real probe of the deb12 dev host.
import { beforeAll, describe, expect, it } from 'vitest';
import { packageFacts } from '../../collectors/packages.ts';
import type { ActorTransition, HostControl, ProbeRequestResult } from '../../http/host-control.ts';
import { applyProbe } from '../../sql/facts.ts';
import { insertMetrics } from '../../sql/metrics.ts';
import { createToken, revokeToken } from '../../sql/tokens.ts';
import { sseReader } from '../support/sse.ts';
import { addHost, craftedProbe, dpkg, probeDevHost } from './api-read-support.ts';
import { useApi } from './api-support.ts';

const ORIGIN = 'http://localhost';
const SESSION = 'hostintel_console';

/** A HostControl whose answers the test sets, recording what was asked. */
function fakeControl() {
  const listeners = new Set<(t: ActorTransition) => void>();
  const state = {
    next: { accepted: true, probeId: 'p-1' } as ProbeRequestResult,
    asked: [] as string[],
    views: new Map<string, Record<string, unknown>>(),
    emit: (t: ActorTransition) => {
      for (const listener of listeners) listener(t);
    },
  };
  const control: HostControl = {
    requestProbe: (hostId) => {
      state.asked.push(hostId);
      return state.next;
    },
    actorView: (hostId) => state.views.get(hostId) ?? null,
    actorViews: () => [...state.views.values()],
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { state, control };
}

const view = (hostId: string, state: string, extra: Record<string, unknown> = {}) => ({
  hostId,
  state,
  unreachable: false,
  inFlight: null,
  nextFactsDueAt: new Date(Date.now() + 600_000).toISOString(),
  nextMetricsDueAt: new Date(Date.now() + 30_000).toISOString(),
  failures: { facts: 0, metrics: 0 },
  backoffUntil: { facts: null, metrics: null },
  lastProbe: null,
  lastError: null,
  lastRefreshAt: null,
  ...extra,
});

const fake = fakeControl();
const api = useApi({ control: () => fake.control });
const ids = { real: '', hostile: '' };

const HOSTILE = {
  name: '<script>alert("host")</script>',
  label: '"><img src=x onerror=alert(1)>',
  pkg: '<script>alert(1)</script>',
  source: '<img src=x onerror=alert(2)>',
  error: '<b onmouseover=alert(3)>collector broke</b>',
  lastError: '</dd><script>alert(4)</script>',
};

interface Page {
  status: number;
  headers: Headers;
  text: string;
}

async function request(path: string, init: RequestInit = {}): Promise<Page> {
  const res = await api.app.request(path, init);
  const stream = res.headers.get('content-type')?.startsWith('text/event-stream');
  const text = stream ? '' : await res.text();
  if (stream) await res.body?.cancel();
  return { status: res.status, headers: res.headers, text };
}

const get = (path: string, cookie?: string) => request(path, { headers: cookie ? { cookie } : {} });

function post(
  path: string,
  form: Record<string, string>,
  options: { cookie?: string; origin?: string | null; site?: string; json?: boolean } = {},
) {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin !== null) headers.origin = options.origin ?? ORIGIN;
  if (options.site) headers['sec-fetch-site'] = options.site;
  if (options.json) headers.accept = 'application/json';
  return request(path, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
}

/** The cookie header a browser would send after this login response. */
function cookieFrom(page: Page): string {
  const set = page.headers.get('set-cookie') ?? '';
  const pair = set.split(';')[0] ?? '';
  expect(pair.startsWith(`${SESSION}=`)).toBe(true);
  return pair;
}

async function login(token: string): Promise<string> {
  const res = await post('/console/login', { token, next: '/console' });
  expect(res.status, res.text).toBe(303);
  return cookieFrom(res);
}

function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  expect(match, 'a CSRF field on the page').not.toBeNull();
  return match?.[1] ?? '';
}

const cookies = { admin: '', operator: '', viewer: '' };

beforeAll(async () => {
  const { sql } = api.db;
  ids.real = await addHost(sql, api.secrets, 'deb12-real', { labels: { env: 'dev' } });
  await probeDevHost(sql, ids.real, 'deb12');
  const now = Date.now();
  // One sample per minute bucket (the 1 h range's step for a 60 s sampling interval).
  const minute = Math.floor(now / 60_000) * 60_000;
  const sample = (ago: number, load1: number) => ({
    time: new Date(minute - ago),
    hostId: ids.real,
    cpuUserPct: 12.5,
    cpuSystemPct: 3,
    cpuIowaitPct: 0,
    cpuStealPct: 0,
    cpuIdlePct: 84.5,
    load1,
    load5: 0.5,
    load15: 0.25,
    memTotalBytes: 8 * 1024 ** 3,
    memAvailableBytes: 6 * 1024 ** 3,
    memUsedBytes: 2 * 1024 ** 3,
    swapTotalBytes: 0,
    swapUsedBytes: 0,
    procsRunning: 1,
    procsTotal: 120,
    uptimeSeconds: 1000,
  });
  await insertMetrics(sql, {
    host: [sample(170_000, 0.75), sample(110_000, 1.5), sample(50_000, 0.25)],
    fs: [],
    net: [],
    disk: [],
  });

  ids.hostile = await addHost(sql, api.secrets, HOSTILE.name, {
    labels: { team: HOSTILE.label },
  });
  const packages = dpkg([HOSTILE.pkg, 'amd64', '1.0-1', HOSTILE.source, '1.0-1']);
  await applyProbe(
    sql,
    ids.hostile,
    craftedProbe(
      new Date(now - 60_000),
      {
        packages: {
          status: 'ok',
          durationMs: 30,
          facts: packageFacts(packages),
        },
        services: { status: 'failed', durationMs: 5, error: HOSTILE.error },
      },
      'partial',
    ),
  );
  fake.state.views.set(ids.real, view(ids.real, 'idle'));
  fake.state.views.set(ids.hostile, view(ids.hostile, 'backoff', { lastError: HOSTILE.lastError }));

  cookies.admin = await login(api.tokens.admin);
  cookies.operator = await login(api.tokens.operator);
  cookies.viewer = await login(api.tokens.viewer);
});

describe('logged out', () => {
  it('/ redirects to the console, and the console to the login form', async () => {
    expect((await get('/')).headers.get('location')).toBe('/console');
    const fleet = await get('/console');
    expect(fleet.status).toBe(302);
    expect(fleet.headers.get('location')).toBe('/console/login');
    const deep = await get(`/console/hosts/${ids.real}/probes?type=facts`);
    expect(deep.headers.get('location')).toBe(
      `/console/login?next=${encodeURIComponent(`/console/hosts/${ids.real}/probes?type=facts`)}`,
    );
  });

  it('sends a form post to the login form, and the event stream a 401', async () => {
    const res = await post(`/console/hosts/${ids.real}/probe`, { csrf: 'x' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login');
    expect((await get('/console/stream')).status).toBe(401);
    expect(fake.state.asked).toEqual([]);
  });

  it('an unknown or revoked token in the cookie logs out and clears the cookie', async () => {
    const res = await get('/console', `${SESSION}=hi_not-a-real-token-at-all-0000`);
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(/^hostintel_console=; Max-Age=0; Path=\/console/);
    const { token, row } = await createToken(api.db.sql, { name: 'soon revoked', role: 'viewer' });
    const cookie = await login(token);
    expect((await get('/console', cookie)).status).toBe(200);
    await revokeToken(api.db.sql, row.id);
    expect((await get('/console', cookie)).headers.get('location')).toBe('/console/login');
  });

  it('keeps the console out of the OpenAPI document', async () => {
    const doc = JSON.parse((await get('/openapi.json')).text) as { paths: object };
    const paths = Object.keys(doc.paths);
    expect(paths).toContain('/v1/hosts');
    expect(paths.filter((p) => p === '/' || p.startsWith('/console'))).toEqual([]);
  });
});

describe('login', () => {
  it('shows a form under a strict CSP, with its stylesheet and script served by us', async () => {
    const res = await get('/console/login');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain('<input id="token" name="token" type="password"');
    expect(res.text).not.toMatch(/<script>|<style>| style="/);
    const css = /href="(\/console\/assets\/console\.css\?v=[0-9a-f]+)"/.exec(res.text)?.[1];
    const js = /src="(\/console\/assets\/console\.js\?v=[0-9a-f]+)"/.exec(res.text)?.[1];
    const cssRes = await get(css ?? 'missing');
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers.get('content-type')).toContain('text/css');
    expect(cssRes.text).toContain('.state-probing');
    const jsRes = await get(js ?? 'missing');
    expect(jsRes.headers.get('content-type')).toContain('text/javascript');
    expect(jsRes.text).toContain("new EventSource('/console/stream')");
  });

  it('a good token sets an HttpOnly, SameSite=Strict cookie for /console and goes on', async () => {
    const res = await post('/console/login', {
      token: api.tokens.viewer,
      next: `/console/hosts/${ids.real}`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/console/hosts/${ids.real}`);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/console/);
    expect(cookie).toMatch(/; Max-Age=43200/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('marks the cookie Secure when the browser speaks https (direct or proxied)', async () => {
    const direct = await request('https://hostintel.example/console/login', {
      method: 'POST',
      headers: {
        origin: 'https://hostintel.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: api.tokens.viewer }).toString(),
    });
    expect(direct.headers.get('set-cookie')).toMatch(/; Secure/);
    const proxied = await request('/console/login', {
      method: 'POST',
      headers: {
        origin: 'https://hostintel.example',
        'x-forwarded-host': 'hostintel.example',
        'x-forwarded-proto': 'https',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: api.tokens.viewer }).toString(),
    });
    expect(proxied.status).toBe(303);
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('a bad token gets the form again, without the token in it and without a cookie', async () => {
    const wrong = 'hi_wrong-token-that-nobody-has-0123456789';
    const res = await post('/console/login', { token: wrong });
    expect(res.status).toBe(401);
    expect(res.text).toContain('That token is unknown or revoked.');
    expect(res.text).not.toContain(wrong);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await post('/console/login', { token: 'short' })).status).toBe(401);
  });

  it('refuses a login posted from another site', async () => {
    const res = await post(
      '/console/login',
      { token: api.tokens.admin },
      { origin: 'https://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const blind = await post('/console/login', { token: api.tokens.admin }, { origin: null });
    expect(blind.status).toBe(403);
  });

  it('never sends a redirect off the console', async () => {
    for (const next of ['https://evil.example/', '//evil.example', '/v1/hosts']) {
      const res = await post('/console/login', { token: api.tokens.viewer, next });
      expect(res.headers.get('location'), next).toBe('/console');
    }
  });

  it('a logged-in visit to the login form goes to the console', async () => {
    const res = await get('/console/login?next=/console/summary', cookies.viewer);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console/summary');
  });
});

describe('pages', () => {
  it('the fleet lists every host with its actor state, OS and a probe form', async () => {
    const res = await get('/console', cookies.operator);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain(`<tr data-host-id="${ids.real}">`);
    expect(res.text).toContain('>deb12-real</a>');
    expect(res.text).toMatch(/class="badge state-idle" data-field="state">idle</);
    expect(res.text).toMatch(/class="badge state-backoff" data-field="state">backoff</);
    expect(res.text).toContain('debian 12');
    expect(res.text).toContain(`action="/console/hosts/${ids.real}/probe"`);
    for (const token of Object.values(api.tokens)) expect(res.text).not.toContain(token);
  });

  it('filters by label and state with plain GET parameters', async () => {
    const byLabel = await get('/console?label=env%3Adev', cookies.viewer);
    expect(byLabel.text).toContain('>deb12-real</a>');
    expect(byLabel.text).not.toContain(`data-host-id="${ids.hostile}"`);
    const byState = await get('/console?state=backoff', cookies.viewer);
    expect(byState.text).toContain(`data-host-id="${ids.hostile}"`);
    expect(byState.text).not.toContain(`data-host-id="${ids.real}"`);
    const bad = await get('/console?label=nocolon', cookies.viewer);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('A label filter is key:value');
  });

  it('the host page shows facts by kind, now and as of an instant', async () => {
    const now = await get(`/console/hosts/${ids.real}?kind=package&q=openssh`, cookies.viewer);
    expect(now.status).toBe(200);
    expect(now.text).toContain('<td class="key">openssh-client:amd64</td>');
    const before = await get(
      `/console/hosts/${ids.real}?kind=package&asOf=2000-01-01T00:00`,
      cookies.viewer,
    );
    expect(before.text).toContain('0 package fact(s) as of 2000-01-01T00:00:00Z');
    const os = await get(`/console/hosts/${ids.real}`, cookies.viewer);
    expect(os.text).toContain('<th>prettyName</th><td>Debian GNU/Linux 12 (bookworm)</td>');
  });

  it('the host tabs: changes, probe log, metrics charts, vulnerabilities', async () => {
    const changes = await get(`/console/hosts/${ids.real}/changes`, cookies.viewer);
    expect(changes.text).toContain('first collection:');
    const probes = await get(`/console/hosts/${ids.real}/probes`, cookies.viewer);
    expect(probes.text).toMatch(/class="badge collector-ok">ok<\/span> packages/);
    const metrics = await get(`/console/hosts/${ids.real}/metrics?range=1h`, cookies.viewer);
    expect(metrics.text).toContain('<figcaption>Load</figcaption><svg viewBox="0 0 640 200"');
    expect(metrics.text).toContain('1 min <span class="latest">0.25</span>');
    const vulns = await get(`/console/hosts/${ids.real}/vulnerabilities`, cookies.viewer);
    expect(vulns.text).toContain('No stored advisory affects this host.');
    expect(
      (await get('/console/hosts/00000000-0000-4000-8000-000000000000', cookies.viewer)).status,
    ).toBe(404);
    expect((await get('/console/hosts/not-a-uuid/probes', cookies.viewer)).status).toBe(404);
    expect((await get('/console/nothing-here', cookies.viewer)).status).toBe(404);
  });

  it('search finds hosts by package (with a version filter), service, port and user', async () => {
    const pkg = await get('/console/search?type=package&q=openssh-client', cookies.viewer);
    expect(pkg.text).toContain(`<a href="/console/hosts/${ids.real}">deb12-real</a>`);
    const below = await get(
      '/console/search?type=package&q=openssh-client&op=versionLt&version=1%3A0',
      cookies.viewer,
    );
    expect(below.text).toContain('No host has this package');
    const bad = await get(
      '/console/search?type=package&q=openssh-client&op=versionLt&version=%21%21',
      cookies.viewer,
    );
    expect(bad.text).toContain('class="notice error"');
    const user = await get('/console/search?type=user&q=root', cookies.viewer);
    expect(user.text).toContain('>deb12-real</a>');
    const cve = await get('/console/search?type=cve&q=CVE-1999-0001', cookies.viewer);
    expect(cve.text).toContain('No stored advisory is known by this id.');
    const port = await get('/console/search?type=port&q=70000', cookies.viewer);
    expect(port.text).toContain('A port is 1–65535.');
  });

  it('the fleet summary counts OS, reachability and coverage', async () => {
    const res = await get('/console/summary', cookies.viewer);
    expect(res.status).toBe(200);
    expect(res.text).toContain('2 host(s)');
    expect(res.text).toContain('<td>debian 12</td><td class="num">1</td>');
  });
});

describe('hostile host data', () => {
  const pages = () => [
    '/console',
    `/console/hosts/${ids.hostile}`,
    `/console/hosts/${ids.hostile}?kind=package`,
    `/console/hosts/${ids.hostile}/changes`,
    `/console/hosts/${ids.hostile}/probes`,
    `/console/search?type=package&q=${encodeURIComponent(HOSTILE.pkg)}`,
    `/console/search?type=package&q=${encodeURIComponent(HOSTILE.source)}`,
  ];

  it('is escaped on every page that shows it', async () => {
    for (const path of pages()) {
      const res = await get(path, cookies.viewer);
      expect(res.status, path).toBe(200);
      for (const raw of Object.values(HOSTILE)) expect(res.text, path).not.toContain(raw);
      expect(res.text, path).not.toMatch(/<script>|<img |<b /);
    }
    const fleet = (await get('/console', cookies.viewer)).text;
    expect(fleet).toContain('&lt;script&gt;alert(&quot;host&quot;)&lt;/script&gt;');
    expect(fleet).toContain('team=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    const packages = (await get(`/console/hosts/${ids.hostile}?kind=package`, cookies.viewer)).text;
    expect(packages).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    const host = (await get(`/console/hosts/${ids.hostile}`, cookies.viewer)).text;
    expect(host).toContain('&lt;/dd&gt;&lt;script&gt;alert(4)&lt;/script&gt;');
    const probes = (await get(`/console/hosts/${ids.hostile}/probes`, cookies.viewer)).text;
    expect(probes).toContain('&lt;b onmouseover=alert(3)&gt;collector broke&lt;/b&gt;');
    const search = (
      await get(`/console/search?type=package&q=${encodeURIComponent(HOSTILE.pkg)}`, cookies.viewer)
    ).text;
    expect(search).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

describe('probe now', () => {
  it('an operator’s form post asks the actor, and comes back with a notice', async () => {
    const page = await get('/console', cookies.operator);
    fake.state.next = { accepted: true, probeId: 'c0ffee00-0000-4000-8000-000000000001' };
    const res = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf: csrfOf(page.text), back: '/console?state=idle' },
      { cookie: cookies.operator },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console?state=idle&notice=probe-accepted');
    expect(fake.state.asked.at(-1)).toBe(ids.real);
    const shown = await get('/console?state=idle&notice=probe-accepted', cookies.operator);
    expect(shown.text).toContain('Probe requested: the state badge follows it live.');
  });

  it('answers the page script in JSON, refusals included', async () => {
    const csrf = csrfOf((await get('/console', cookies.operator)).text);
    fake.state.next = { accepted: false, reason: 'in-flight', retryAfterMs: 4_200 };
    const busy = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf },
      { cookie: cookies.operator, json: true },
    );
    expect(busy.status).toBe(409);
    expect(JSON.parse(busy.text)).toEqual({
      accepted: false,
      message: 'A probe of this host is running already. (retry in 5 s)',
    });
    fake.state.next = { accepted: true, probeId: 'p-2' };
    const ok = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf },
      { cookie: cookies.operator, json: true },
    );
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.text)).toEqual({ accepted: true, message: 'Probe requested.' });
  });

  it('a viewer sees why it cannot probe; its post is refused, the actor not asked', async () => {
    const page = await get('/console', cookies.viewer);
    expect(page.text).toContain('title="Probing needs the operator role (you are viewer)"');
    expect(page.text).toContain('needs operator role');
    expect(page.text).not.toContain(`action="/console/hosts/${ids.real}/probe"`);
    const asked = fake.state.asked.length;
    const res = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf: csrfOf(page.text) },
      { cookie: cookies.viewer },
    );
    expect(res.headers.get('location')).toBe('/console?notice=forbidden');
    const json = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf: csrfOf(page.text) },
      { cookie: cookies.viewer, json: true },
    );
    expect(json.status).toBe(403);
    expect(fake.state.asked.length).toBe(asked);
  });

  it('refuses a post without the session’s CSRF token or from another site', async () => {
    const csrf = csrfOf((await get('/console', cookies.operator)).text);
    const otherSession = csrfOf((await get('/console', cookies.admin)).text);
    const asked = fake.state.asked.length;
    const attempts: { form: Record<string, string>; options: Parameters<typeof post>[2] }[] = [
      { form: {}, options: {} },
      { form: { csrf: 'forged' }, options: {} },
      { form: { csrf: otherSession }, options: {} },
      { form: { csrf }, options: { origin: 'https://evil.example' } },
      { form: { csrf }, options: { origin: null } },
      { form: { csrf }, options: { origin: null, site: 'cross-site' } },
      { form: { csrf }, options: { site: 'same-site' } },
    ];
    for (const { form, options } of attempts) {
      const res = await post(`/console/hosts/${ids.real}/probe`, form, {
        cookie: cookies.operator,
        ...options,
      });
      expect(res.status, JSON.stringify({ form, options })).toBe(403);
      expect(res.text).toContain('The form was stale or came from elsewhere');
    }
    expect(fake.state.asked.length).toBe(asked);
    // A browser with a no-referrer policy sends "Origin: null" but still Sec-Fetch-Site.
    const ok = await post(
      `/console/hosts/${ids.real}/probe`,
      { csrf },
      { cookie: cookies.operator, origin: 'null', site: 'same-origin' },
    );
    expect(ok.status).toBe(303);
  });

  it('is in the audit trail under the token that pressed it', async () => {
    const rows = await api.db.sql<{ route: string; target_id: string; role: string }[]>`
      select route, target_id, role from audit_log
      where route = '/console/hosts/:id/probe' order by id`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toEqual({
      route: '/console/hosts/:id/probe',
      target_id: ids.real,
      role: 'operator',
    });
    const logins = await api.db.sql`select 1 from audit_log where route = '/console/login'`;
    expect(logins.length).toBeGreaterThanOrEqual(3);
  });
});

describe('live state', () => {
  it('streams actor transitions to a logged-in page', async () => {
    const res = await api.app.request('/console/stream', { headers: { cookie: cookies.viewer } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const stream = sseReader(res);
    const { readUntil } = stream;
    await readUntil('event: ready');
    fake.state.emit({ hostId: ids.real, view: view(ids.real, 'probing') });
    await readUntil('"state":"probing"');
    expect(stream.text()).toContain(`event: transition\ndata: {"hostId":"${ids.real}"`);
    await stream.cancel();
  });
});

describe('logout', () => {
  it('clears the cookie (with the CSRF token) and says the token stays valid', async () => {
    const cookie = await login(api.tokens.viewer);
    const csrf = csrfOf((await get('/console', cookie)).text);
    expect((await post('/console/logout', { csrf: 'nope' }, { cookie })).status).toBe(403);
    const res = await post('/console/logout', { csrf }, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login?notice=logged-out');
    expect(res.headers.get('set-cookie')).toMatch(/^hostintel_console=; Max-Age=0; Path=\/console/);
    const form = await get('/console/login?notice=logged-out');
    expect(form.text).toContain('Logged out.');
  });
});
