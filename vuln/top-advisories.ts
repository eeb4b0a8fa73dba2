// The fleet's most widespread advisories, as GET /v1/fleet/vulnerabilities and the console's
// summary rank them: most affected hosts first, then by severity, then by id; a host exposed
// only through kernels it does not run counts apart.
import { type AdvisoryRow, getAdvisories, severities } from '../sql/advisories.ts';
import type { Sql } from '../sql/client.ts';
import type { AdvisoryCount } from './fleet-correlation.ts';

export interface FleetAdvisory {
  advisory: AdvisoryRow;
  hosts: number;
  notRunningKernelOnlyHosts: number;
}

const byLocale = new Intl.Collator();
const rank = (s: AdvisoryCount['severity']) => severities.indexOf(s);

/** The first `limit` of the counted advisories in that order, with their stored records. */
export async function topAdvisories(
  sql: Sql,
  counts: readonly AdvisoryCount[],
  limit: number,
): Promise<FleetAdvisory[]> {
  const top = [...counts]
    .sort(
      (x, y) =>
        y.hosts - x.hosts ||
        rank(x.severity) - rank(y.severity) ||
        byLocale.compare(x.advisoryId, y.advisoryId),
    )
    .slice(0, limit);
  const records = await getAdvisories(
    sql,
    top.map((a) => a.advisoryId),
  );
  const details = new Map(records.map((a) => [a.id, a]));
  return top.flatMap((a) => {
    const advisory = details.get(a.advisoryId);
    return advisory
      ? [{ advisory, hosts: a.hosts, notRunningKernelOnlyHosts: a.notRunningKernelOnlyHosts }]
      : [];
  });
}
