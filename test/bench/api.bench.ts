// npm run bench:api [-- --hosts 10000 --packages 1500 --requests 200 --rebuild]: the fleet
// questions of the API against a synthetic fleet (test/bench/fleet-data.ts; the goals' size is
// the default, cached in a template database after the first load), through createApp and
// app.request (no network). Prints p50/p95 of GET /v1/packages/{name}/hosts (with and without
// versionLt) and GET /v1/fleet/summary next to their goals, and baselines measured in the same
// run: the question answered the way the handler did before (every row of the package through
// JS, compared and sorted there), and as a scan that cannot use the name index.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../../http/app.ts';
import { schemeOf } from '../../http/fleet/version-filter.ts';
import { createNullControl } from '../../http/host-control.ts';
import { filteredHostNames } from '../../sql/fleet-queries.ts';
import { packageHosts } from '../../sql/packages.ts';
import { checkReadiness } from '../../sql/readiness.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { createToken } from '../../sql/tokens.ts';
import { compareVersions } from '../../vuln/versions.ts';
import { measure, ms, openBenchFleet, printFleet, QUERY_PACKAGE } from './fleet-data.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10000' },
    packages: { type: 'string', default: '1500' },
    requests: { type: 'string', default: '200' },
    rebuild: { type: 'boolean', default: false },
  },
});
const size = { hosts: Number(values.hosts), packages: Number(values.packages) };
const requests = Number(values.requests);

const fleet = await openBenchFleet(size, { rebuild: values.rebuild });
try {
  printFleet(size, fleet);
  const { sql } = fleet;
  const { token } = await createToken(sql, { name: 'bench', role: 'admin' });
  const app = createApp({
    sql,
    readiness: () => checkReadiness(sql),
    secrets: createSecretBox(randomBytes(32)),
    control: createNullControl(),
    logger: pino({ level: 'silent' }),
  });
  const headers = { authorization: `Bearer ${token}` };
  const get = async (path: string) => {
    const response = await app.request(path, { headers });
    if (response.status !== 200)
      throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const report = (label: string, r: { p50: number; p95: number; max: number }, goal?: number) =>
    console.log(
      `${label.padEnd(58)} p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  max ${ms(r.max)}` +
        (goal === undefined ? '' : `  goal p95 ≤ ${goal} ms ${r.p95 <= goal ? 'met' : 'MISSED'}`),
    );

  const plain = `/v1/packages/${QUERY_PACKAGE}/hosts`;
  const filtered = `${plain}?versionLt=3.0`;
  const first = await get(plain);
  const firstFiltered = await get(filtered);
  const count = (body: Record<string, unknown>) =>
    Array.isArray(body.items) ? body.items.length : '?';
  console.log(
    `${plain}: ${count(first)} rows on the first page; ?versionLt=3.0: ${count(firstFiltered)}`,
  );
  // The requests of each kind interleave, so that a burst of load from elsewhere on the
  // machine falls on all of them alike.
  const api = await measure(requests, () => get(plain));
  report(`GET ${plain}`, api, 20);
  report(`GET ${filtered}`, await measure(requests, () => get(filtered)), 20);
  const cursor = first.nextCursor as string;
  report(
    `GET ${plain}?cursor=<page 2>`,
    await measure(requests, () => get(`${plain}?cursor=${cursor}`)),
    20,
  );
  report('GET /v1/fleet/summary', await measure(requests, () => get('/v1/fleet/summary')), 100);

  // Baselines. The handler before: every row of the package and every host name to JS, each
  // row's version compared there, the rows sorted, one page cut.
  const before = await measure(Math.min(requests, 30), async () => {
    const [rows, names] = await Promise.all([
      packageHosts(sql, QUERY_PACKAGE),
      filteredHostNames(sql, {}),
    ]);
    const kept = rows.filter((r) => {
      const scheme = schemeOf[r.manager];
      return scheme !== null && compareVersions(scheme, r.evr, '3.0') < 0;
    });
    const named = kept.map((r) => ({ ...r, hostName: names.get(r.hostId) ?? '' }));
    named.sort((a, b) =>
      a.hostName < b.hostName ? -1 : a.hostName > b.hostName ? 1 : a.hostId < b.hostId ? -1 : 1,
    );
    return JSON.stringify(named.slice(0, 100));
  });
  report(`baseline: all ${size.hosts} rows through JS (before), ?versionLt`, before);
  // Every row of the package as the index serves it, and as a scan finds it (`|| ''` hides
  // the column from the planner). Fewer runs: a scan takes seconds.
  const indexed = await measure(
    Math.min(requests, 50),
    () => sql`
    select host_id, key, value from host_facts
    where kind = 'package' and valid_to is null and package_name = ${QUERY_PACKAGE}`,
  );
  const scanRuns = Math.max(3, Math.min(10, Math.floor(requests / 20)));
  const scan = await measure(
    scanRuns,
    () => sql`
    select host_id, key, value from host_facts
    where kind = 'package' and valid_to is null and package_name || '' = ${QUERY_PACKAGE}`,
  );
  console.log(
    `baseline SQL, all ${size.hosts} rows of ${QUERY_PACKAGE} with their values: name index ` +
      `p50 ${ms(indexed.p50)}, scan without it p50 ${ms(scan.p50)} (${scanRuns} runs)`,
  );
  console.log(
    `ratios (p50): API page vs before ${(before.p50 / api.p50).toFixed(1)}× faster, ` +
      `vs the scan ${(scan.p50 / api.p50).toFixed(0)}×`,
  );
} finally {
  await fleet.drop();
}
