// The fleet's most widespread advisories, ranked like GET /v1/fleet/vulnerabilities: from the
// same whole-fleet counts (vuln/fleet-correlation.ts), most affected hosts first, then by
// severity; a host exposed only through kernels it does not run counts apart.
import type { AdvisoryRow } from '../../sql/advisories.ts';
import { getAdvisories, severities } from '../../sql/advisories.ts';
import type { Sql } from '../../sql/client.ts';
import { fleetVulnerabilityCounts } from '../../vuln/fleet-correlation.ts';

export interface FleetAdvisory {
  advisory: AdvisoryRow;
  hosts: number;
  notRunningKernelOnlyHosts: number;
}

export async function topVulnerabilities(sql: Sql, limit: number): Promise<FleetAdvisory[]> {
  const counts = await fleetVulnerabilityCounts(sql);
  const rank = (s: AdvisoryRow['severity']) => severities.indexOf(s);
  const top = [...counts.advisories]
    .sort(
      (x, y) =>
        y.hosts - x.hosts ||
        rank(x.severity) - rank(y.severity) ||
        (x.advisoryId < y.advisoryId ? -1 : x.advisoryId > y.advisoryId ? 1 : 0),
    )
    .slice(0, limit);
  const details = new Map(
    (
      await getAdvisories(
        sql,
        top.map((a) => a.advisoryId),
      )
    ).map((a) => [a.id, a]),
  );
  return top.flatMap((a) => {
    const advisory = details.get(a.advisoryId);
    return advisory
      ? [{ advisory, hosts: a.hosts, notRunningKernelOnlyHosts: a.notRunningKernelOnlyHosts }]
      : [];
  });
}
