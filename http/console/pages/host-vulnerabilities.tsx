// The advisories affecting a host, now or as of an instant: the same correlation as
// GET /v1/hosts/{id}/vulnerabilities (vuln/correlate.ts over the stored OSV advisories).
import type { Context } from 'hono';
import { getAdvisories, severities } from '../../../sql/advisories.ts';
import { correlate } from '../../../vuln/correlate.ts';
import { Badge, Empty } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { parseInstant } from '../format.ts';
import { HostFrame, loadHost } from '../host-frame.tsx';
import { pageContext } from '../layout.tsx';
import { AsOfInput } from '../paging.tsx';
import { hostPath } from '../paths.ts';
import { render } from '../render.ts';
import { notFoundPage } from './problem.tsx';

export function createHostVulnerabilitiesPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const data = await loadHost(deps, id);
    if (!data) return notFoundPage(c, deps, 'No such host.');
    const asOf = parseInstant(c.req.query('asOf'));
    const { scopes, matches } = await correlate(deps.sql, {
      hostIds: [id],
      ...(asOf ? { asOf } : {}),
    });
    const scope = scopes.get(id);
    const advisories = new Map(
      (await getAdvisories(deps.sql, [...new Set(matches.map((m) => m.advisoryId))])).map((a) => [
        a.id,
        a,
      ]),
    );
    const rank = (id: string) => severities.indexOf(advisories.get(id)?.severity ?? 'unknown');
    const rows = [...matches].sort(
      (a, b) =>
        Number(a.notRunningKernelOnly) - Number(b.notRunningKernelOnly) ||
        rank(a.advisoryId) - rank(b.advisoryId) ||
        a.advisoryId.localeCompare(b.advisoryId),
    );
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <HostFrame ctx={ctx} data={data} tab="vulnerabilities">
        <form method="get" action={hostPath(id, 'vulnerabilities')} class="filters">
          <AsOfInput asOf={asOf} />
          <button type="submit">Show</button>
        </form>
        {scope && !scope.supported ? (
          <p class="notice warn">Not matched: {scope.reason ?? 'unsupported'}.</p>
        ) : null}
        {rows.length === 0 ? (
          <Empty text="No stored advisory affects this host." />
        ) : (
          <table class="vulns">
            <thead>
              <tr>
                <th>Advisory</th>
                <th>Severity</th>
                <th>Summary</th>
                <th>Packages (installed → compared)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => {
                const a = advisories.get(m.advisoryId);
                return (
                  <tr>
                    <td>
                      <a href={`/console/search?type=cve&q=${encodeURIComponent(m.advisoryId)}`}>
                        {m.advisoryId}
                      </a>
                      <br />
                      <small class="muted">{a?.aliases.join(', ') ?? ''}</small>
                    </td>
                    <td>
                      <Badge kind="severity" value={a?.severity ?? 'unknown'} />
                      {m.notRunningKernelOnly ? (
                        <Badge kind="flag" value="kernel-not-running" />
                      ) : null}
                    </td>
                    <td>{a?.summary ?? ''}</td>
                    <td>
                      <ul class="plain">
                        {m.packages.map((p) => (
                          <li>
                            {p.name} {p.evr}
                            {p.comparedVersion !== p.evr ? ` → ${p.comparedVersion}` : ''}
                            {p.kernel ? ` (${p.kernel} kernel)` : ''}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </HostFrame>,
    );
  };
}
