// The fleet at a glance: OS and kernel distribution, reachability, collector coverage,
// pending reboots and the most widespread vulnerabilities.
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { summaryHostRows } from '../../../sql/read-fleet-summary.ts';
import { fleetVulnerabilityCounts } from '../../../vuln/fleet-correlation.ts';
import { topAdvisories } from '../../../vuln/top-advisories.ts';
import { toHostFilter } from '../../fleet/host-filter.ts';
import { summarize, UNREACHABLE_AFTER } from '../../fleet/summary.ts';
import { listHostsQuery } from '../../hosts/hosts.schemas.ts';
import { Badge, Empty } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { Layout, pageContext } from '../layout.tsx';
import { render } from '../render.ts';

const TOP_ADVISORIES = 20;

const Counts = ({
  title,
  rows,
  total,
}: {
  title: string;
  rows: { label: Child; hosts: number }[];
  total: number;
}) => (
  <section class="card">
    <h2>{title}</h2>
    {rows.length === 0 ? (
      <Empty text="No hosts." />
    ) : (
      <table class="counts">
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{r.label}</td>
              <td class="num">{r.hosts}</td>
              <td>
                <meter min={0} max={Math.max(total, 1)} value={r.hosts} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

export function createSummaryPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const query = c.req.query();
    const parsed = listHostsQuery.safeParse({
      label: query.label || undefined,
      group: query.group || undefined,
    });
    const filter = toHostFilter(parsed.success ? parsed.data : {});
    const [rows, top] = await Promise.all([
      summaryHostRows(deps.sql, filter, UNREACHABLE_AFTER),
      fleetVulnerabilityCounts(deps.sql).then((counts) =>
        topAdvisories(deps.sql, counts.advisories, TOP_ADVISORIES),
      ),
    ]);
    const s = summarize(rows, new Date());
    const reach = s.reachability;
    return render(
      c,
      <Layout title="Fleet summary" ctx={pageContext(c, deps.assets)} section="summary">
        <h1>Fleet summary</h1>
        <form method="get" action="/console/summary" class="filters">
          <label>
            Label <input name="label" value={query.label ?? ''} placeholder="env:prod" />
          </label>
          <label>
            Group <input name="group" value={query.group ?? ''} placeholder="web" />
          </label>
          <button type="submit">Filter</button>
          {parsed.success ? null : <p class="notice error">A label filter is key:value.</p>}
        </form>
        <p class="big">
          {s.hosts} host(s) · {s.rebootRequired} waiting for a reboot
        </p>
        <div class="grid">
          <Counts
            title="Reachability"
            total={s.hosts}
            rows={[
              { label: <Badge kind="reach" value="ok" />, hosts: reach.ok },
              { label: <Badge kind="reach" value="stale" />, hosts: reach.stale },
              { label: <Badge kind="reach" value="unreachable" />, hosts: reach.unreachable },
              { label: <Badge kind="reach" value="never-probed" />, hosts: reach.neverProbed },
            ]}
          />
          <Counts
            title="Operating systems"
            total={s.hosts}
            rows={s.os.map((o) => ({
              label: o.id ? `${o.id} ${o.versionId ?? ''}` : 'unknown',
              hosts: o.hosts,
            }))}
          />
          <Counts
            title="Kernels"
            total={s.hosts}
            rows={s.kernels.map((k) => ({ label: k.kernelRelease ?? 'unknown', hosts: k.hosts }))}
          />
          <section class="card">
            <h2>Collector coverage</h2>
            {s.collectors.length === 0 ? (
              <Empty text="No facts probe yet." />
            ) : (
              <table class="counts">
                <tbody>
                  {s.collectors.map((col) => (
                    <tr>
                      <td>{col.name}</td>
                      <td class="num">
                        {col.ok}/{col.hosts}
                      </td>
                      <td>
                        <meter min={0} max={Math.max(col.hosts, 1)} value={col.ok} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="muted">Hosts whose last facts probe ran the collector, and of them ok.</p>
          </section>
        </div>
        <section class="card">
          <h2>Top vulnerabilities (whole fleet)</h2>
          {top.length === 0 ? (
            <Empty text="No stored advisory affects any host." />
          ) : (
            <table class="results">
              <thead>
                <tr>
                  <th>Advisory</th>
                  <th>Severity</th>
                  <th>Summary</th>
                  <th class="num">Hosts</th>
                  <th class="num">Kernel not running only</th>
                </tr>
              </thead>
              <tbody>
                {top.map((t) => (
                  <tr>
                    <td>
                      <a href={`/console/search?type=cve&q=${encodeURIComponent(t.advisory.id)}`}>
                        {t.advisory.id}
                      </a>
                      <br />
                      <small class="muted">{t.advisory.aliases.join(', ')}</small>
                    </td>
                    <td>
                      <Badge kind="severity" value={t.advisory.severity} />
                    </td>
                    <td>{t.advisory.summary ?? ''}</td>
                    <td class="num">{t.hosts}</td>
                    <td class="num">{t.notRunningKernelOnlyHosts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </Layout>,
      parsed.success ? 200 : 400,
    );
  };
}
