// Vulnerability handlers: correlate (vuln/correlate.ts, vuln/fleet-correlation.ts), then shape.
import type { RouteHandler } from '@hono/zod-openapi';
import { advisoryIdsFor, getAdvisories, severities } from '../../sql/advisories.ts';
import type { Sql } from '../../sql/client.ts';
import { getHost } from '../../sql/hosts.ts';
import { advisoryMatches, correlate, exposureWindows } from '../../vuln/correlate.ts';
import { fleetVulnerabilityCounts } from '../../vuln/fleet-correlation.ts';
import { topAdvisories } from '../../vuln/top-advisories.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import { toAffectedHost, toApiAdvisory, toApiWindow } from './vulnerabilities.present.ts';
import type * as routes from './vulnerabilities.routes.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

// The order String#localeCompare gives, without building a collator per comparison.

/**
 * Each advisory with the hosts it affects now, by host name in code-point order (as the fleet
 * lists); the shape of /advisories/{id}/hosts.
 */
export async function advisoriesWithHosts(sql: Sql, ids: readonly string[]) {
  const [advisories, { matches, hostNames }] = await Promise.all([
    getAdvisories(sql, ids),
    advisoryMatches(sql, ids),
  ]);
  const byAdvisory = new Map<string, typeof matches>();
  for (const m of matches) {
    const list = byAdvisory.get(m.advisoryId) ?? [];
    byAdvisory.set(m.advisoryId, list);
    list.push(m);
  }
  return advisories.map((a) => ({
    advisory: toApiAdvisory(a),
    items: (byAdvisory.get(a.id) ?? []).map((m) => toAffectedHost(m, hostNames)),
  }));
}

export function createVulnerabilityHandlers({ sql }: ApiDeps) {
  const byCve: Handler<'cveRoute'> = async (c) => {
    const { cve } = c.req.valid('query');
    const ids = await advisoryIdsFor(sql, cve);
    if (ids.length === 0) return problem(c, 'not-found', { detail: 'no advisory has this id' });
    return c.json({ cve, advisories: await advisoriesWithHosts(sql, ids) }, 200);
  };

  const forHost: Handler<'hostVulnerabilitiesRoute'> = async (c) => {
    const { id } = c.req.valid('param');
    const { asOf, include } = c.req.valid('query');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    const at = asOf === undefined ? undefined : new Date(asOf);
    const { scopes, matches } = await correlate(sql, {
      hostIds: [id],
      ...(at ? { asOf: at } : {}),
    });
    const scope = scopes.get(id);
    const advisories = new Map(
      (
        await getAdvisories(
          sql,
          matches.map((m) => m.advisoryId),
        )
      ).map((a) => [a.id, a]),
    );
    const windows =
      include === 'windows'
        ? new Map(
            (await exposureWindows(sql, { hostIds: [id] })).map((w) => [w.advisoryId, w.windows]),
          )
        : null;
    const items = matches.flatMap((m) => {
      const advisory = advisories.get(m.advisoryId);
      if (!advisory) return [];
      return [
        {
          advisory: toApiAdvisory(advisory),
          ecosystem: m.ecosystem,
          notRunningKernelOnly: m.notRunningKernelOnly,
          packages: toAffectedHost(m, new Map()).packages,
          ...(windows ? { windows: (windows.get(m.advisoryId) ?? []).map(toApiWindow) } : {}),
        },
      ];
    });
    return c.json(
      {
        hostId: id,
        asOf: at ? at.toISOString() : null,
        supported: scope?.supported ?? false,
        reason: scope ? scope.reason : 'no os fact',
        items,
      },
      200,
    );
  };

  const fleet: Handler<'fleetRoute'> = async (c) => {
    const { limit } = c.req.valid('query');
    const counts = await fleetVulnerabilityCounts(sql);
    const bySeverity = severities.map((severity) => ({
      severity,
      advisories: counts.advisories.filter((a) => a.severity === severity && a.hosts > 0).length,
      hosts: counts.hostsBySeverity[severity],
    }));
    const top = await topAdvisories(sql, counts.advisories, limit);
    const items = top.map((a) => ({ ...a, advisory: toApiAdvisory(a.advisory) }));
    return c.json({ bySeverity, items }, 200);
  };

  return { byCve, forHost, fleet };
}
