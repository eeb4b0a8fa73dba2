// Fleet question handlers: host filter → sql query → (version filter) → a page.
import type { RouteHandler } from '@hono/zod-openapi';
import { factHosts, type FactHostEntry, filteredHostNames } from '../../sql/fleet-queries.ts';
import { type PackageHostRow, packageHosts } from '../../sql/packages.ts';
import { summaryHostRows } from '../../sql/read-fleet-summary.ts';
import { compareVersions } from '../../vuln/versions.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type * as routes from './fleet.routes.ts';
import { hostKeyedPage, toHostFilter } from './host-filter.ts';
import { summarize, UNREACHABLE_AFTER } from './summary.ts';
import { applyVersionFilter, schemeOf } from './version-filter.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

const toFactHost = (r: FactHostEntry) => ({
  hostId: r.hostId,
  hostName: r.hostName,
  key: r.key,
  value: r.value,
  since: iso(r.since),
});

/** Newest first within a manager; versions a scheme cannot read sort last. */
function byVersionDesc(a: { manager: PackageHostRow['manager']; version: string }, b: typeof a) {
  if (a.manager !== b.manager) return a.manager < b.manager ? -1 : 1;
  const scheme = schemeOf[a.manager];
  if (scheme) {
    try {
      return -compareVersions(scheme, a.version, b.version);
    } catch {
      // an unreadable installed version: fall back to text order
    }
  }
  return a.version < b.version ? 1 : a.version > b.version ? -1 : 0;
}

export function createFleetHandlers({ sql }: ApiDeps) {
  const packageHostList: Handler<'packageHostsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const query = c.req.valid('query');
    const [rows, hosts] = await Promise.all([
      packageHosts(sql, name),
      filteredHostNames(sql, toHostFilter(query)),
    ]);
    const outcome = applyVersionFilter(
      rows.filter((r) => hosts.has(r.hostId)),
      query,
    );
    if (!outcome.ok) return problem(c, 'invalid-parameter', { detail: outcome.detail });
    const named = outcome.rows.map((r) => ({ ...r, hostName: hosts.get(r.hostId) ?? '' }));
    const answer = hostKeyedPage(named, query.cursor, query.limit, (r) => ({
      hostId: r.hostId,
      hostName: r.hostName,
      name: r.name,
      version: r.evr,
      arch: r.arch,
      source: r.source,
      manager: r.manager,
      since: iso(r.since),
    }));
    if (!answer) return problem(c, 'invalid-cursor');
    return c.json({ ...answer, notes: outcome.notes }, 200);
  };

  const packageVersions: Handler<'packageVersionsRoute'> = async (c) => {
    const { name } = c.req.valid('param');
    const [rows, hosts] = await Promise.all([
      packageHosts(sql, name),
      filteredHostNames(sql, toHostFilter(c.req.valid('query'))),
    ]);
    const spread = new Map<
      string,
      {
        manager: PackageHostRow['manager'];
        version: string;
        hosts: Set<string>;
        names: Set<string>;
      }
    >();
    for (const r of rows) {
      if (!hosts.has(r.hostId)) continue;
      const id = `${r.manager}\u0000${r.evr}`;
      const entry = spread.get(id) ?? {
        manager: r.manager,
        version: r.evr,
        hosts: new Set<string>(),
        names: new Set<string>(),
      };
      entry.hosts.add(r.hostId);
      entry.names.add(r.name);
      spread.set(id, entry);
    }
    const items = [...spread.values()].sort(byVersionDesc).map((e) => ({
      manager: e.manager,
      version: e.version,
      hosts: e.hosts.size,
      names: [...e.names].sort(),
    }));
    return c.json({ items, nextCursor: null }, 200);
  };

  const summary: Handler<'fleetSummaryRoute'> = async (c) => {
    const rows = await summaryHostRows(sql, toHostFilter(c.req.valid('query')), UNREACHABLE_AFTER);
    return c.json(summarize(rows, new Date()), 200);
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
