// The fleet: every host with what its actor is doing (live), its last probe, next due times,
// OS and failures; filtered by label, group and state with plain GET parameters.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { listHosts } from '../../../sql/hosts.ts';
import { type SummaryHostRow, summaryHostRows } from '../../../sql/read-fleet-summary.ts';
import { toHostFilter } from '../../fleet/host-filter.ts';
import { UNREACHABLE_AFTER } from '../../fleet/summary.ts';
import { listHostsQuery } from '../../hosts/hosts.schemas.ts';
import { cursorText, decodeCursor, encodeCursor } from '../../pagination.ts';
import {
  type ActorView,
  matchesState,
  type StateFilter,
  stateFilters,
  toActorView,
} from '../actor-view.ts';
import {
  ActorState,
  Badge,
  Empty,
  Failures,
  LastOutcome,
  NextDue,
  ProbeNow,
  When,
} from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { Layout, type PageContext, pageContext } from '../layout.tsx';
import { hostPath, withParams } from '../paths.ts';
import { render } from '../render.ts';

const PAGE_SIZE = 500;
const hostCursor = z.tuple([cursorText, z.uuid()]);

interface FleetRow {
  id: string;
  name: string;
  address: string;
  labels: Record<string, string>;
  groups: string[];
  enabled: boolean;
  view: ActorView | null;
  summary: SummaryHostRow | undefined;
}

const LastProbe = ({ row, now }: { row: FleetRow; now: number }) => {
  const live = row.view?.lastProbe;
  const outcome = live?.outcome ?? row.summary?.recentStatuses[0] ?? null;
  const at = live?.finishedAt ?? row.summary?.lastFinishedAt ?? null;
  return (
    <span class="last-probe">
      <LastOutcome outcome={outcome} /> <When at={at} now={now} field="last-probe" />
    </span>
  );
};

const Os = ({ summary }: { summary: SummaryHostRow | undefined }) =>
  summary?.osId ? (
    <span>
      {summary.osId} {summary.osVersionId ?? ''}
      <br />
      <small class="muted">{summary.kernelRelease ?? ''}</small>
    </span>
  ) : (
    <span class="muted">not yet probed</span>
  );

const Filters = ({ query, error }: { query: Record<string, string>; error: string | null }) => (
  <form method="get" action="/console" class="filters">
    <label>
      Label <input name="label" value={query.label ?? ''} placeholder="env:prod" maxlength={320} />
    </label>
    <label>
      Group <input name="group" value={query.group ?? ''} placeholder="web" maxlength={63} />
    </label>
    <label>
      State{' '}
      <select name="state">
        <option value="">any</option>
        {stateFilters.map((s) => (
          <option value={s} selected={query.state === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <button type="submit">Filter</button> <a href="/console">clear</a>
    {error ? <p class="notice error">{error}</p> : null}
  </form>
);

const FleetPage = ({
  ctx,
  rows,
  query,
  error,
  next,
  now,
}: {
  ctx: PageContext;
  rows: FleetRow[];
  query: Record<string, string>;
  error: string | null;
  next: string | null;
  now: number;
}) => (
  <Layout title="Fleet" ctx={ctx} section="fleet">
    <h1>Fleet</h1>
    <Filters query={query} error={error} />
    {rows.length === 0 ? (
      <Empty text="No host matches." />
    ) : (
      <table class="fleet">
        <thead>
          <tr>
            <th>Host</th>
            <th>State</th>
            <th>Last probe</th>
            <th>Next due</th>
            <th>OS</th>
            <th>Failures</th>
            <th>Labels</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr data-host-id={row.id}>
              <td>
                <a href={hostPath(row.id)} class="host-name">
                  {row.name}
                </a>
                <br />
                <small class="muted">{row.address}</small>
                {row.enabled ? null : <Badge kind="flag" value="disabled" />}
              </td>
              <td>
                <ActorState view={row.view} />
              </td>
              <td>
                <LastProbe row={row} now={now} />
              </td>
              <td>
                <NextDue view={row.view} now={now} />
              </td>
              <td>
                <Os summary={row.summary} />
              </td>
              <td>
                <Failures view={row.view} />
              </td>
              <td class="labels">
                {Object.entries(row.labels).map(([k, v]) => (
                  <span class="chip">
                    {k}={v}
                  </span>
                ))}
                {row.groups.map((g) => (
                  <span class="chip group">{g}</span>
                ))}
              </td>
              <td>
                <ProbeNow hostId={row.id} ctx={ctx} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {next ? (
      <p>
        <a href={next}>Next hosts →</a>
      </p>
    ) : null}
  </Layout>
);

export function createFleetPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const query = c.req.query();
    const parsed = listHostsQuery.safeParse({
      label: query.label || undefined,
      group: query.group || undefined,
    });
    const state = stateFilters.find((s) => s === query.state) as StateFilter | undefined;
    const after = query.after ? decodeCursor(query.after, hostCursor) : undefined;
    const error = !parsed.success
      ? 'A label filter is key:value (e.g. env:prod); a group is letters, digits and ._-'
      : after === null
        ? 'That page link is not valid any more.'
        : null;
    const filter = toHostFilter(parsed.success ? parsed.data : {});
    const [hosts, summaries] = await Promise.all([
      listHosts(deps.sql, {
        ...filter,
        limit: PAGE_SIZE + 1,
        after: after ? { name: after[0], id: after[1] } : undefined,
      }),
      summaryHostRows(deps.sql, filter, UNREACHABLE_AFTER),
    ]);
    const byId = new Map(summaries.map((s) => [s.hostId, s]));
    const shown = hosts.slice(0, PAGE_SIZE);
    const last = shown.at(-1);
    const next =
      hosts.length > PAGE_SIZE && last
        ? withParams(`/console${new URL(c.req.url).search}`, {
            after: encodeCursor([last.name, last.id]),
            notice: undefined,
          })
        : null;
    const rows = shown
      .map((h) => ({
        id: h.id,
        name: h.name,
        address: h.port === 22 ? h.address : `${h.address}:${h.port}`,
        labels: h.labels,
        groups: h.groups,
        enabled: h.enabled,
        view: toActorView(deps.control.actorView(h.id)),
        summary: byId.get(h.id),
      }))
      .filter((r) => !state || matchesState(r.view, state));
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <FleetPage ctx={ctx} rows={rows} query={query} error={error} next={next} now={Date.now()} />,
      error ? 400 : 200,
    );
  };
}
