// Fleet question handlers: host filter → sql query → (version filter) → a page.
import type { RouteHandler } from '@hono/zod-openapi';
import { factHosts, type FactHostEntry } from '../../sql/fleet-queries.ts';
import {
  type PackageHostPageRow,
  type PackageHostRow,
  packageHostPage,
  packageVersionCounts,
  packageVersionRows,
} from '../../sql/packages.ts';
import { fleetSummaryCounts } from '../../sql/read-fleet-summary.ts';
import { compareVersions, isValidVersion } from '../../vuln/versions.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type * as routes from './fleet.routes.ts';
import { decodeHostKeyCursor, hostKeyedPage, toHostFilter } from './host-filter.ts';
import { DEFAULT_FACTS_INTERVAL_S, summarizeCounts, UNREACHABLE_AFTER } from './summary.ts';
import {
  acceptedVersions,
  type FilterOutcome,
  hasVersionFilter,
  schemeOf,
} from './version-filter.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

const toFactHost = (r: FactHostEntry) => ({
  hostId: r.hostId,
  hostName: r.hostName,
  key: r.key,
  value: r.value,
  since: iso(r.since),
});

/** Newest first within a manager; versions a scheme cannot read sort last, by text. */
function byVersionDesc(a: { manager: PackageHostRow['manager']; version: string }, b: typeof a) {
  if (a.manager !== b.manager) return a.manager < b.manager ? -1 : 1;
  const scheme = schemeOf[a.manager];
  if (scheme) {
    const readable = (v: string) => isValidVersion(scheme, v);
    const [x, y] = [readable(a.version), readable(b.version)];
    if (x && y) return -compareVersions(scheme, a.version, b.version);
    if (x !== y) return x ? -1 : 1;
  }
  return a.version < b.version ? 1 : a.version > b.version ? -1 : 0;
}

export function createFleetHandlers({ sql }: ApiDeps) {
  // Versions are decided per distinct (manager, version) in JS, then SQL pages through the
  // rows at the accepted versions: the handler never holds more than one page of rows.
  const packageHostList: Handler<'packageHostsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const query = c.req.valid('query');
    const filter = toHostFilter(query);
    const outcome: FilterOutcome = hasVersionFilter(query)
      ? acceptedVersions(await packageVersionRows(sql, name, filter), query)
      : { ok: true, accepted: null, notes: [] };
    if (!outcome.ok) return problem(c, 'invalid-parameter', { detail: outcome.detail });
    const after = query.cursor ? decodeHostKeyCursor(query.cursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    const rows = await packageHostPage(sql, name, {
      filter,
      ...(outcome.accepted ? { versions: outcome.accepted } : {}),
      ...(after ? { after } : {}),
      limit: query.limit,
    });
    const answer = page(
      rows,
      query.limit,
      (r: PackageHostPageRow) => ({
        hostId: r.hostId,
        hostName: r.hostName,
        name: r.name,
        version: r.evr,
        arch: r.arch,
        source: r.source,
        manager: r.manager,
        since: iso(r.since),
      }),
      (r) => [r.hostName, r.hostId, r.key],
    );
    return c.json({ ...answer, notes: outcome.notes }, 200);
  };

  const packageVersions: Handler<'packageVersionsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const versions = await packageVersionCounts(sql, name, toHostFilter(c.req.valid('query')));
    const items = versions
      .map((v) => ({ manager: v.manager, version: v.evr, hosts: v.hosts, names: v.names }))
      .sort(byVersionDesc);
    return c.json({ items, nextCursor: null }, 200);
  };

  const summary: Handler<'fleetSummaryRoute'> = async (c) => {
    const counts = await fleetSummaryCounts(sql, toHostFilter(c.req.valid('query')), {
      recent: UNREACHABLE_AFTER,
      defaultFactsIntervalS: DEFAULT_FACTS_INTERVAL_S,
      now: new Date(),
    });
    return c.json(summarizeCounts(counts), 200);
  };

  const services: Handler<'serviceHostsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const query = c.req.valid('query');
    const keys = name.includes('.') ? [name] : [name, `${name}.service`];
    const rows = (await factHosts(sql, { kind: 'service', keys }, toHostFilter(query))).filter(
      (r) =>
        (query.active === undefined || r.value.active === query.active) &&
        (query.enabled === undefined || r.value.enabled === query.enabled),
    );
    const answer = hostKeyedPage(rows, query.cursor, query.limit, toFactHost);
    return answer ? c.json(answer, 200) : problem(c, 'invalid-cursor');
  };

  const ports: Handler<'portHostsRoute'> = async (c) => {
    const { port } = c.req.valid('param');
    const query = c.req.valid('query');
    const match = {
      kind: 'listener' as const,
      port: Number(port),
      ...(query.protocol ? { protocol: query.protocol } : {}),
    };
    const rows = await factHosts(sql, match, toHostFilter(query));
    const answer = hostKeyedPage(rows, query.cursor, query.limit, toFactHost);
    return answer ? c.json(answer, 200) : problem(c, 'invalid-cursor');
  };

  const users: Handler<'userHostsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const query = c.req.valid('query');
    const rows = await factHosts(sql, { kind: 'user', keys: [name] }, toHostFilter(query));
    const answer = hostKeyedPage(rows, query.cursor, query.limit, toFactHost);
    return answer ? c.json(answer, 200) : problem(c, 'invalid-cursor');
  };

  return { packageHostList, packageVersions, summary, services, ports, users };
}
