// A host's probe log, newest first: each probe's outcome, and each collector's outcome with
// its error — the evidence behind "why is this host stale".
import type { Context } from 'hono';
import { type ProbeRow, probeStatuses, probes } from '../../../sql/probes.ts';
import { Badge, When } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { bytes, duration } from '../format.ts';
import { HostFrame, loadHost } from '../host-frame.tsx';
import { pageContext } from '../layout.tsx';
import { Choice, Paged, readPage } from '../paging.tsx';
import { hostPath } from '../paths.ts';
import { render } from '../render.ts';
import { notFoundPage } from './problem.tsx';

const PAGE_SIZE = 50;
const types = ['facts', 'metrics'] as const;

const Collectors = ({ probe }: { probe: ProbeRow }) => {
  const entries = Object.entries(probe.collectors);
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="collectors">
      {entries.map(([name, outcome]) => (
        <li>
          <Badge kind="collector" value={outcome.status} /> {name}{' '}
          <small class="muted">
            {duration(outcome.durationMs)}
            {outcome.facts !== undefined ? ` · ${outcome.facts} facts` : ''}
          </small>
          {outcome.error ? <div class="error-text">{outcome.error}</div> : null}
        </li>
      ))}
    </ul>
  );
};

export function createHostProbesPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const data = await loadHost(deps, id);
    if (!data) return notFoundPage(c, deps, 'No such host.');
    const query = c.req.query();
    const type = types.find((t) => t === query.type);
    const status = probeStatuses.find((s) => s === query.status);
    const page = await readPage(() =>
      probes(deps.sql, id, {
        limit: PAGE_SIZE,
        cursor: query.cursor || null,
        ...(type ? { type } : {}),
        ...(status ? { status } : {}),
      }),
    );
    const now = Date.now();
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <HostFrame ctx={ctx} data={data} tab="probes">
        <form method="get" action={hostPath(id, 'probes')} class="filters">
          <Choice label="Type" name="type" values={types} selected={type} />
          <Choice label="Status" name="status" values={probeStatuses} selected={status} />
          <button type="submit">Show</button>
        </form>
        <Paged page={page} here={ctx.here} empty="No probes recorded." older="Older probes →">
          <table class="probes">
            <thead>
              <tr>
                <th>Started</th>
                <th>Type</th>
                <th>Status</th>
                <th>Duration</th>
                <th>Bytes</th>
                <th>Changes</th>
                <th>Collectors</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <tr data-probe-id={p.id}>
                  <td>
                    <When at={p.startedAt} now={now} />
                  </td>
                  <td>
                    {p.type}
                    {p.reason ? <small class="muted"> {p.reason}</small> : null}
                  </td>
                  <td>
                    <Badge kind="outcome" value={p.status} />
                    {p.error ? (
                      <div class="error-text">
                        {p.errorCode ? `${p.errorCode}: ` : ''}
                        {p.error}
                      </div>
                    ) : null}
                  </td>
                  <td>{duration(p.durationMs)}</td>
                  <td>{bytes(p.bytes)}</td>
                  <td>{p.factChanges ?? '—'}</td>
                  <td>
                    <Collectors probe={p} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Paged>
      </HostFrame>,
      page.stale ? 400 : 200,
    );
  };
}
