// A host's facts by kind, now or as of an instant (the as-of picker reads UTC), with a key
// filter for long kinds such as packages.
import type { Context } from 'hono';
import { currentFacts, type FactRow, factKinds, factsAsOf } from '../../../sql/fact-queries.ts';
import { Empty, When } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { cellText, instantInput, isRecord, parseInstant, valueColumns } from '../format.ts';
import { HostFrame, loadHost } from '../host-frame.tsx';
import { pageContext } from '../layout.tsx';
import { AsOfInput } from '../paging.tsx';
import { hostPath, withParams } from '../paths.ts';
import { render } from '../render.ts';
import { notFoundPage } from './problem.tsx';

const KIND = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_ROWS = 2000;

const OneFact = ({ value }: { value: Record<string, unknown> }) => (
  <table class="fields">
    <tbody>
      {Object.entries(value).map(([k, v]) => (
        <tr>
          <th>{k}</th>
          <td>{cellText(v)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

const FactTable = ({ rows, now }: { rows: FactRow[]; now: number }) => {
  const columns = valueColumns(
    rows.map((r) => r.value),
    8,
  );
  return (
    <div class="wide">
      <table class="facts">
        <thead>
          <tr>
            <th>key</th>
            {columns.map((c) => (
              <th>{c}</th>
            ))}
            <th>since</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr data-key={r.key}>
              <td class="key">{r.key}</td>
              {columns.map((c) => (
                <td>{isRecord(r.value) ? cellText(r.value[c]) : cellText(r.value)}</td>
              ))}
              <td>
                <When at={r.validFrom} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

export function createHostFactsPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const data = await loadHost(deps, id);
    if (!data) return notFoundPage(c, deps, 'No such host.');
    const query = c.req.query();
    const asOf = parseInstant(query.asOf);
    const badAsOf = query.asOf !== undefined && query.asOf !== '' && asOf === null;
    const kinds = await factKinds(deps.sql, id);
    const kind =
      query.kind && KIND.test(query.kind)
        ? query.kind
        : (kinds.find((k) => k.kind === 'os') ?? kinds[0])?.kind;
    const all = kind
      ? asOf
        ? await factsAsOf(deps.sql, id, asOf, kind)
        : await currentFacts(deps.sql, id, kind)
      : [];
    const needle = (query.q ?? '').toLowerCase();
    const matching = needle ? all.filter((r) => r.key.toLowerCase().includes(needle)) : all;
    const rows = matching.slice(0, MAX_ROWS);
    const [only] = rows;
    const now = Date.now();
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <HostFrame ctx={ctx} data={data} tab="">
        <form method="get" action={hostPath(id)} class="filters">
          <label>
            Kind{' '}
            <select name="kind">
              {kinds.map((k) => (
                <option value={k.kind} selected={k.kind === kind}>
                  {k.kind} ({k.facts})
                </option>
              ))}
            </select>
          </label>
          <AsOfInput asOf={asOf} />
          <label>
            Key contains <input name="q" value={query.q ?? ''} maxlength={200} />
          </label>
          <button type="submit">Show</button>
          {asOf ? <a href={withParams(ctx.here, { asOf: undefined })}>now</a> : null}
        </form>
        {badAsOf ? (
          <p class="notice error">The as-of time is not a date and time; showing now.</p>
        ) : null}
        <p class="muted">
          {kind ? `${matching.length} ${kind} fact(s)` : 'No facts collected yet.'}
          {asOf ? ` as of ${instantInput(asOf)}Z` : ' now'}
          {matching.length > rows.length ? ` (first ${rows.length} shown)` : ''}
        </p>
        {rows.length === 0 ? (
          kind ? (
            <Empty text="No fact of this kind matches." />
          ) : null
        ) : rows.length === 1 && only && isRecord(only.value) ? (
          <OneFact value={only.value} />
        ) : (
          <FactTable rows={rows} now={now} />
        )}
      </HostFrame>,
      badAsOf ? 400 : 200,
    );
  };
}
