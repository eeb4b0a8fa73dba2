// The web console in headless Chromium against `hostintel serve` probing the dev sshd hosts:
// log in, watch both hosts' state badges go to probing and back when "probe now" is pressed
// (live, through the event stream, without a reload), open a host's packages and metrics
// charts, search a package and a CVE (an OSV advisory written for a package really installed
// on deb12). Screenshots go to test-results/console/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import { useTestDatabase } from '../support/db.ts';
import { pinned, testHost } from '../support/env.ts';
import { type Served, startServe } from '../support/serve.ts';

const db = useTestDatabase();
const token = 'e2e-console-admin-token-0123456789';
const SHOTS = path.resolve(import.meta.dirname, '../../test-results/console');
const CVE = 'CVE-2099-0001';
const ADVISORY = 'HOSTINTEL-E2E-0001';
const hosts = { deb12: '', deb13: '' };
let served: Served;
let browser: Browser;
let page: Page;

const api: Served['api'] = (method, route, body) => served.api(method, route, body);
const until: Served['until'] = (what, fn, ms = 60_000) => served.until(what, fn, ms);

const shot = (name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });

/** Finished facts probes of a host, from the probe log. */
const factsProbes = (hostId: string) =>
  db.sql<{ status: string; reason: string | null }[]>`
    select status, reason from intel_probes where host_id = ${hostId} and type = 'facts'`;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  served = await startServe({ databaseUrl: db.url, token });
  for (const name of ['deb12', 'deb13'] as const) {
    const host = testHost(name);
    const created = await api('POST', '/v1/hosts', {
      ...pinned(host),
      labels: { env: 'dev' },
      // The first facts probe is left to "probe now"; metrics every 5 s fill the charts.
      factsIntervalS: 3600,
      metricsIntervalS: 5,
      credential: { type: 'privateKey', privateKey: readFileSync(host.privateKeyPath, 'utf8') },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    hosts[name] = created.body.id as string;
  }
  for (const id of Object.values(hosts)) {
    await until('an actor for each host', async () =>
      (await api('GET', `/v1/hosts/${id}/actor`)).status === 200 ? true : undefined,
    );
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (error) => {
    served.note(`[page error] ${error.message}`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the console in a browser', () => {
  it('logs in with an API token and lists both hosts', async () => {
    await page.goto(`${served.base}/`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await shot('01-login');
    await page.fill('#token', token);
    await page.click('form.login button[type=submit]');
    await page.waitForURL(`${served.base}/console`);
    for (const [name, id] of Object.entries(hosts)) {
      const row = page.locator(`tr[data-host-id="${id}"]`);
      await expect(row.locator('a.host-name').textContent()).resolves.toBe(name);
    }
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'hostintel_console');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(await page.content()).not.toContain(token);
  });

  it('"probe now" turns each badge to probing and back, live, without a reload', async () => {
    await page.waitForSelector('[data-live="on"]');
    // A reload would lose this marker and the recorded badge history.
    // In-page code as text: these tests compile without the DOM types.
    await page.evaluate(`(() => {
      window.marker = 'same page';
      window.seen = {};
      const record = () => {
        for (const badge of document.querySelectorAll('tr [data-field="state"]')) {
          const id = badge.closest('tr').getAttribute('data-host-id');
          const list = (window.seen[id] ??= []);
          if (list.at(-1) !== badge.textContent) list.push(badge.textContent);
        }
      };
      record();
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    })()`);
    for (const id of Object.values(hosts)) {
      const row = page.locator(`tr[data-host-id="${id}"]`);
      const result = row.locator('[data-field="probe-result"]');
      // A scheduled probe may hold the host at that very moment: then ask again.
      await until('the probe to be accepted', async () => {
        await row.locator('form[data-probe] button').click();
        await page.waitForFunction((el) => el?.textContent !== '', await result.elementHandle());
        const text = await result.textContent();
        if (text === 'Probe requested.') return true;
        await result.evaluate((el) => {
          el.textContent = '';
        });
        await page.waitForTimeout(500);
        return undefined;
      });
    }
    for (const id of Object.values(hosts)) {
      await until(
        'the badge to go to probing and back to idle',
        async () => {
          const seen = (await page.evaluate(`window.seen[${JSON.stringify(id)}]`)) as
            | string[]
            | undefined;
          const i = seen?.indexOf('probing') ?? -1;
          return i >= 0 && seen?.slice(i).includes('idle') ? seen : undefined;
        },
        90_000,
      );
    }
    expect(await page.evaluate('window.marker')).toBe('same page');
    expect(new URL(page.url()).pathname).toBe('/console');
    // The probe log shows the pressed probe (its record may land just after the state).
    for (const id of Object.values(hosts)) {
      await until('the manual facts probe in the probe log', async () => {
        const probes = await factsProbes(id);
        return probes.some((p) => p.reason === 'manual' && ['ok', 'partial'].includes(p.status))
          ? true
          : undefined;
      });
    }
    await shot('02-fleet-after-probe');
  }, 150_000);

  it('opens a host: its packages and a metrics chart', { timeout: 150_000 }, async () => {
    const [pkg] = await db.sql<{ value: PackageFact }[]>`
      select value from host_facts
      where host_id = ${hosts.deb12} and kind = 'package' and valid_to is null
        and value ->> 'name' = 'openssh-client'`;
    expect(pkg?.value.evr).toMatch(/^\d+:/);
    await page.click(`tr[data-host-id="${hosts.deb12}"] a.host-name`);
    await page.waitForURL(`${served.base}/console/hosts/${hosts.deb12}`);
    await page.selectOption('select[name="kind"]', 'package');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/kind=package/);
    const row = page.locator('tr[data-key="openssh-client:amd64"]');
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('openssh-client');
    await expect(row.textContent()).resolves.toContain(pkg?.value.evr ?? 'missing');
    await shot('03-host-packages');

    // Samples over 30 s at least (several 15 s buckets), so the charts have lines.
    await until(
      'deb12 metrics samples over 30 s',
      async () => {
        const [row] = await db.sql<{ span: number | null }[]>`
          select extract(epoch from max(time) - min(time))::float8 as span
          from host_metrics where host_id = ${hosts.deb12}`;
        return (row?.span ?? 0) >= 30 ? true : undefined;
      },
      90_000,
    );
    await page.click('nav.tabs a:has-text("Metrics")');
    await page.waitForURL(`${served.base}/console/hosts/${hosts.deb12}/metrics`);
    const load = page.locator('figure.chart', { hasText: 'Load' });
    await expect(load.locator('svg path.line').count()).resolves.toBe(3);
    for (const d of await load
      .locator('svg path.line')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('d')))) {
      expect(d).toMatch(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+/);
    }
    await shot('04-host-metrics');
  });

  it('searches a package (with a version filter) and a CVE', async () => {
    // An advisory for a source package really installed on deb12, fixed one revision later.
    const [pkg] = await db.sql<{ value: PackageFact }[]>`
      select value from host_facts
      where host_id = ${hosts.deb12} and kind = 'package' and valid_to is null
        and value -> 'source' ->> 'name' = value ->> 'name'
      order by key limit 1`;
    const installed = pkg?.value;
    if (!installed?.source) throw new Error('no package built from a same-named source');
    const imported = await api('POST', '/v1/advisories', {
      id: ADVISORY,
      modified: '2026-11-01T00:00:00Z',
      published: '2026-11-01T00:00:00Z',
      aliases: [CVE],
      summary: `Console e2e advisory for ${installed.source.name}`,
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: installed.source.name },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [{ introduced: '0' }, { fixed: `${installed.source.version}.1` }],
            },
          ],
        },
      ],
    });
    expect(imported.body.imported).toBe(1);

    await page.click('header nav a:has-text("Search")');
    await page.selectOption('select[name="type"]', 'package');
    await page.fill('input[name="q"]', installed.name);
    await page.selectOption('select[name="op"]', 'versionEq');
    await page.fill('input[name="version"]', installed.evr);
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/type=package/);
    const results = page.locator('table.results tbody tr');
    const deb12 = results.filter({ has: page.locator(`a[href="/console/hosts/${hosts.deb12}"]`) });
    await expect(deb12.first().locator('td').nth(2).textContent()).resolves.toBe(installed.evr);
    for (const version of await results.locator('td:nth-child(3)').allTextContents()) {
      expect(version).toBe(installed.evr);
    }
    await shot('05-search-package');

    await page.selectOption('select[name="type"]', 'cve');
    await page.fill('input[name="q"]', CVE);
    await page.selectOption('select[name="op"]', '');
    await page.fill('input[name="version"]', '');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/type=cve/);
    const advisory = page.locator('section.advisory');
    await expect(advisory.locator('h2').textContent()).resolves.toContain(ADVISORY);
    const affected = await advisory.locator('tbody tr td:first-child a').allTextContents();
    expect(affected).toEqual(['deb12']);
    await expect(advisory.locator('tbody').textContent()).resolves.toContain(installed.name);
    await shot('06-search-cve');

    await page.click('header nav a:has-text("Summary")');
    await expect(page.locator('table.results').textContent()).resolves.toContain(ADVISORY);
    await shot('07-summary');
  });

  it('logs out', async () => {
    await page.goto(`${served.base}/console`);
    await page.click('header form button:has-text("Log out")');
    await page.waitForURL(/\/console\/login\?notice=logged-out/);
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${served.base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
  });
});
