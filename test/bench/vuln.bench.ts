// npm run bench:vuln [-- --hosts 1000 --packages 1500 --advisories 20000]: vulnerability
// correlation over a synthetic Debian 12 fleet (test/bench/fleet-data.ts) and synthetic OSV
// advisories for Debian:12, in a throwaway database. Prints the time of correlate() for the
// whole fleet and of a single-CVE question (correlate with advisoryIds, and the HTTP route
// GET /v1/vulnerabilities?cve=) next to their goals.
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
import { correlate } from '../../vuln/correlate.ts';
import { createBenchDatabase, loadFleet, measure, ms, printLoad } from './fleet-data.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    packages: { type: 'string', default: '1500' },
    advisories: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '50' },
    // 0 skips the whole-fleet correlation (it takes minutes at 1000 hosts, see the report).
    'fleet-runs': { type: 'string', default: '1' },
  },
});
const size = { hosts: Number(values.hosts), packages: Number(values.packages) };
const advisories = Number(values.advisories);
const runs = Number(values.runs);
const fleetRunCount = Number(values['fleet-runs']);
const sources = Math.ceil(size.packages / 2) * 10;

/** Bulk-inserts advisories DEBIAN-BENCH-<g> (alias CVE-2099-<g>) as upsertAdvisories stores them. */
async function loadAdvisories(sql: Sql) {
  const started = performance.now();
  await sql`
    insert into advisories (id, modified, published, summary, severity, record)
    select 'DEBIAN-BENCH-' || g, now(), now() - interval '30 days', 'synthetic', 'high',
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
  return (performance.now() - started) / 1000;
}

const db = await createBenchDatabase();
try {
  const { sql } = db;
  printLoad(size, await loadFleet(sql, size));
  const advisorySeconds = await loadAdvisories(sql);
  console.log(
    `loaded ${advisories} Debian:12 advisories over ${sources} source names in ` +
      `${advisorySeconds.toFixed(1)} s (the fleet has ${Math.ceil(size.packages / 2)} of them)`,
  );

  const fleetRuns: number[] = [];
  let matches = 0;
  for (let i = 0; i < fleetRunCount; i++) {
    const started = performance.now();
    const result = await correlate(sql, {});
    fleetRuns.push((performance.now() - started) / 1000);
    matches = result.matches.length;
  }
  const best = Math.min(...fleetRuns);
  if (fleetRunCount > 0)
    console.log(
      `correlate(sql, {}) whole fleet: ${fleetRuns.map((s) => `${s.toFixed(2)} s`).join(', ')} ` +
        `(${matches} host×advisory matches, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} ` +
        `MiB) goal ≤ 5 s ${best <= 5 ? 'met' : 'MISSED'}`,
    );

  // A CVE whose package every host has (src-0 is in the fleet) — the worst single CVE.
  const cve = `CVE-2099-${sources}`;
  const ids = await advisoryIdsFor(sql, cve);
  const single = await correlate(sql, { advisoryIds: ids });
  const direct = await measure(runs, () => correlate(sql, { advisoryIds: ids }));
  const { token } = await createToken(sql, { name: 'bench', role: 'admin' });
  const app = createApp({
    sql,
    readiness: () => checkReadiness(sql),
    secrets: createSecretBox(randomBytes(32)),
    control: createNullControl(),
    logger: pino({ level: 'silent' }),
  });
  const route = `/v1/vulnerabilities?cve=${cve}`;
  const http = await measure(runs, async () => {
    const response = await app.request(route, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${route}: ${response.status}`);
    await response.text();
  });
  console.log(
    `single CVE ${cve} (${ids.join(', ')}; ${single.matches.length} affected hosts), ${runs} runs:`,
  );
  for (const [label, r] of [
    ['correlate(sql, { advisoryIds })', direct],
    [`GET ${route}`, http],
  ] as const) {
    console.log(
      `  ${label.padEnd(42)} p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  ` +
        `goal ≤ 50 ms ${r.p95 <= 50 ? 'met' : 'MISSED'}`,
    );
  }
} finally {
  await db.drop();
}
