// npm run bench:vuln [-- --hosts 10000 --packages 1500 --advisories 20000 --rebuild]:
// vulnerability correlation over a synthetic Debian 12 fleet (test/bench/fleet-data.ts; the
// goals' size is the default, cached in a template database after the first load) and
// synthetic OSV advisories for Debian:12. Prints, next to their goals:
//   - a full fleet correlation (fleetVulnerabilityCounts: every advisory's affected hosts, by
//     severity; and GET /v1/fleet/vulnerabilities, which is that plus the advisories' details);
//   - a single-CVE question (advisoryMatches, and GET /v1/vulnerabilities?cve=);
// what keeping the vulnerability index fresh costs (hosts marked changed, then refreshed),
// and baselines in the same run: the per-host path (every candidate row compared in JS, as the
// whole-fleet correlation did before) on a sample of hosts, and on every host for one CVE.
//
// Advisories name source packages `src-<k>` with k over a universe 10× wider than the fleet's
// (a fleet has a fraction of the distribution's packages), each fixed at `<1..5>.5-1` so about
// half of the hosts carrying the package are affected.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../../http/app.ts';
import { createNullControl } from '../../http/host-control.ts';
import { advisoryIdsFor } from '../../sql/advisories.ts';
import type { Sql } from '../../sql/client.ts';
import { checkReadiness } from '../../sql/readiness.ts';
import { createSecretBox } from '../../sql/secrets.ts';
import { createToken } from '../../sql/tokens.ts';
import { advisoryMatches, correlate } from '../../vuln/correlate.ts';
import { fleetVulnerabilityCounts } from '../../vuln/fleet-correlation.ts';
import { refreshVulnIndex } from '../../vuln/fleet-index.ts';
import { measure, ms, openBenchFleet, printFleet } from './fleet-data.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10000' },
    packages: { type: 'string', default: '1500' },
    advisories: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '50' },
    'fleet-runs': { type: 'string', default: '3' },
    // Hosts of the per-host baseline (the path the whole-fleet correlation took before).
    sample: { type: 'string', default: '100' },
    rebuild: { type: 'boolean', default: false },
  },
});
const size = { hosts: Number(values.hosts), packages: Number(values.packages) };
const advisories = Number(values.advisories);
const runs = Number(values.runs);
const fleetRunCount = Number(values['fleet-runs']);
const sample = Number(values.sample);
const sources = Math.ceil(size.packages / 2) * 10;
const seconds = (t: number) => `${(t / 1000).toFixed(2)} s`;
const rss = () => `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`;

/** Bulk-inserts advisories DEBIAN-BENCH-<g> (alias CVE-2099-<g>) as upsertAdvisories stores them. */
async function loadAdvisories(sql: Sql) {
  const started = performance.now();
  await sql`
    insert into advisories (id, modified, published, summary, severity, record)
    select 'DEBIAN-BENCH-' || g, now(), now() - interval '30 days', 'synthetic',
      (array['critical', 'high', 'medium', 'low', 'unknown'])[1 + g % 5],
      jsonb_build_object('id', 'DEBIAN-BENCH-' || g, 'modified', now(),
        'aliases', jsonb_build_array('CVE-2099-' || g))
    from generate_series(1, ${advisories}) g`;
  await sql`
    insert into advisory_aliases (alias, advisory_id, relation)
    select a, 'DEBIAN-BENCH-' || g, r
    from generate_series(1, ${advisories}) g,
      lateral (values ('DEBIAN-BENCH-' || g, 'self'), ('CVE-2099-' || g, 'alias')) v(a, r)`;
  await sql`
    insert into advisory_packages (advisory_id, idx, ecosystem, name, affected)
    select 'DEBIAN-BENCH-' || g, 0, 'Debian:12', 'src-' || (g % ${sources}),
      jsonb_build_object(
        'package', jsonb_build_object('ecosystem', 'Debian:12', 'name', 'src-' || (g % ${sources})),
        'severity', '[]'::jsonb, 'versions', '[]'::jsonb,
        'ranges', jsonb_build_array(jsonb_build_object('type', 'ECOSYSTEM', 'events',
          jsonb_build_array(jsonb_build_object('introduced', '0'),
            jsonb_build_object('fixed', (1 + g % 5) || '.5-1')))))
    from generate_series(1, ${advisories}) g`;
  await sql`analyze advisories, advisory_aliases, advisory_packages`;
  return performance.now() - started;
}

async function timedRun<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

const fleet = await openBenchFleet(size, { rebuild: values.rebuild });
try {
  printFleet(size, fleet);
  const { sql } = fleet;
  const advisoryMs = await loadAdvisories(sql);
  console.log(
    `loaded ${advisories} Debian:12 advisories over ${sources} source names in ` +
      `${seconds(advisoryMs)} (the fleet has ${Math.ceil(size.packages / 2)} of them)`,
  );
  const { token } = await createToken(sql, { name: 'bench', role: 'admin' });
  const app = createApp({
    sql,
    readiness: () => checkReadiness(sql),
    secrets: createSecretBox(randomBytes(32)),
    control: createNullControl(),
    logger: pino({ level: 'silent' }),
  });
  const get = async (route: string) => {
    const response = await app.request(route, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${route}: ${response.status}`);
    return response.text();
  };

  // Full fleet correlation.
  const fleetRuns: number[] = [];
  let summary = '';
  for (let i = 0; i < fleetRunCount; i++) {
    const { ms: took, value } = await timedRun(() => fleetVulnerabilityCounts(sql));
    fleetRuns.push(took);
    const pairs = value.advisories.reduce((n, a) => n + a.hosts + a.notRunningKernelOnlyHosts, 0);
    summary =
      `${value.hosts} hosts, ${value.advisories.length} advisories affecting some, ` +
      `${pairs} host×advisory matches`;
  }
  const best = Math.min(...fleetRuns);
  if (fleetRunCount > 0) {
    console.log(
      `full fleet correlation (fleetVulnerabilityCounts): ${fleetRuns.map(seconds).join(', ')} ` +
        `(${summary}; RSS ${rss()}) goal ≤ 5 s ${best <= 5000 ? 'met' : 'MISSED'}`,
    );
    const http = await timedRun(() => get('/v1/fleet/vulnerabilities'));
    console.log(`  GET /v1/fleet/vulnerabilities: ${seconds(http.ms)} (RSS ${rss()})`);
  }

  // Keeping the index fresh: hosts whose facts changed are rebuilt by the next reader.
  for (const changed of [1, 100, 1000].filter((n) => n <= size.hosts)) {
    await sql`
      insert into vuln_stale_hosts (host_id, part)
      select id, part from (select id from hosts order by id limit ${changed}) h
        cross join unnest(array['os', 'packages']) as part
      on conflict do nothing`;
    const refresh = await timedRun(() => refreshVulnIndex(sql));
    console.log(
      `index refresh after ${changed} changed host(s): ${seconds(refresh.ms)} ` +
        `(${(refresh.ms / changed).toFixed(1)} ms a host)`,
    );
  }

  // Baseline: the per-host path, every candidate row to JS and compared (what correlating the
  // whole fleet did before, out of memory at 1,000 hosts), on a sample of hosts.
  const someHosts = (
    await sql<{ id: string }[]>`select id from hosts order by name limit ${sample}`
  ).map((r) => r.id);
  const perHost = await timedRun(() => correlate(sql, { hostIds: someHosts }));
  console.log(
    `baseline: per-host path over ${someHosts.length} hosts ${seconds(perHost.ms)} ` +
      `(${perHost.value.matches.length} matches; ~${seconds((perHost.ms * size.hosts) / someHosts.length)} ` +
      `for the fleet) → full fleet correlation ${((perHost.ms * size.hosts) / someHosts.length / best).toFixed(0)}× faster`,
  );

  // A CVE whose package every host has (src-0 is in the fleet) — the worst single CVE.
  const cve = `CVE-2099-${sources}`;
  const ids = await advisoryIdsFor(sql, cve);
  const single = await advisoryMatches(sql, ids);
  const direct = await measure(runs, () => advisoryMatches(sql, ids));
  const route = `/v1/vulnerabilities?cve=${cve}`;
  const body = await get(route);
  const http = await measure(runs, () => get(route));
  console.log(
    `single CVE ${cve} (${ids.join(', ')}; ${single.matches.length} affected hosts, ` +
      `${(body.length / 1024).toFixed(0)} KiB answer), ${runs} runs:`,
  );
  for (const [label, r] of [
    ['advisoryMatches(sql, ids)', direct],
    [`GET ${route}`, http],
  ] as const) {
    console.log(
      `  ${label.padEnd(42)} p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  ` +
        `goal ≤ 50 ms ${r.p95 <= 50 ? 'met' : 'MISSED'}`,
    );
  }

  // No goal: one host's advisories (about a thousand here), the per-host path.
  const hostRoute = `/v1/hosts/${someHosts[0]}/vulnerabilities`;
  const one = await measure(Math.min(runs, 20), () => get(hostRoute));
  console.log(
    `GET /v1/hosts/{id}/vulnerabilities (no goal)       p50 ${ms(one.p50)}  p95 ${ms(one.p95)}`,
  );
} finally {
  await fleet.drop();
}
