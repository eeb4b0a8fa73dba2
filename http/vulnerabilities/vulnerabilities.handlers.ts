// Vulnerability handlers: correlate (vuln/correlate.ts), then shape.
import type { RouteHandler } from '@hono/zod-openapi';
import { advisoryIdsFor, getAdvisories, severities } from '../../sql/advisories.ts';
import type { Sql } from '../../sql/client.ts';
import { getHost } from '../../sql/hosts.ts';
import { hostNames } from '../../sql/vulnerabilities.ts';
import { correlate, exposureWindows } from '../../vuln/correlate.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import type * as routes from './vulnerabilities.routes.ts';
import { toAffectedHost, toApiAdvisory, toApiWindow } from './vulnerabilities.present.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/** Each advisory with the hosts it affects now; the shape of /advisories/{id}/hosts. */
export async function advisoriesWithHosts(sql: Sql, ids: readonly string[]) {
  const advisories = await getAdvisories(sql, ids);
  const { matches } = await correlate(sql, { advisoryIds: ids });
  const names = await hostNames(sql, [...new Set(matches.map((m) => m.hostId))]);
  return advisories.map((a) => ({
    advisory: toApiAdvisory(a),
    items: matches
      .filter((m) => m.advisoryId === a.id)
      .map((m) => toAffectedHost(m, names))
      .sort((x, y) => x.hostName.localeCompare(y.hostName)),
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
    const { matches } = await correlate(sql);
    const perAdvisory = new Map<string, { hosts: number; kernelOnly: number }>();
    for (const m of matches) {
      const entry = perAdvisory.get(m.advisoryId) ?? { hosts: 0, kernelOnly: 0 };
      perAdvisory.set(m.advisoryId, entry);
      if (m.notRunningKernelOnly) entry.kernelOnly++;
      else entry.hosts++;
    }
    const advisories = await getAdvisories(sql, [...perAdvisory.keys()]);
    const severityOf = new Map(advisories.map((a) => [a.id, a.severity]));
    const bySeverity = severities.map((severity) => {
      const ids = advisories.filter((a) => a.severity === severity).map((a) => a.id);
      const hosts = new Set(
        matches
          .filter((m) => !m.notRunningKernelOnly && severityOf.get(m.advisoryId) === severity)
          .map((m) => m.hostId),
      );
      const counted = ids.filter((id) => (perAdvisory.get(id)?.hosts ?? 0) > 0);
      return { severity, advisories: counted.length, hosts: hosts.size };
    });
    const rank = (s: (typeof severities)[number]) => severities.indexOf(s);
    const items = advisories
      .map((a) => ({
        advisory: toApiAdvisory(a),
        hosts: perAdvisory.get(a.id)?.hosts ?? 0,
        notRunningKernelOnlyHosts: perAdvisory.get(a.id)?.kernelOnly ?? 0,
      }))
      .sort(
        (x, y) =>
          y.hosts - x.hosts ||
          rank(x.advisory.severity) - rank(y.advisory.severity) ||
          x.advisory.id.localeCompare(y.advisory.id),
      )
      .slice(0, limit);
    return c.json({ bySeverity, items }, 200);
  };

  return { byCve, forHost, fleet };
}
