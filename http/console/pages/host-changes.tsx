// A host's change timeline, newest first: what was added, removed or changed, by which probe.
import type { Context } from 'hono';
import { type ChangeEntry, changeTypes, hostChanges } from '../../../sql/changes.ts';
import { Badge, When } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { changedFields, isRecord, summary } from '../format.ts';
import { HostFrame, loadHost } from '../host-frame.tsx';
import { pageContext } from '../layout.tsx';
import { Choice, Paged, readPage } from '../paging.tsx';
import { hostPath } from '../paths.ts';
import { render } from '../render.ts';
import { notFoundPage } from './problem.tsx';

const KIND = /^[a-z][a-z0-9_]{0,62}$/;
const PAGE_SIZE = 100;

const What = ({ entry }: { entry: ChangeEntry }) => {
  switch (entry.change) {
    case 'baseline': {
      const facts = isRecord(entry.after) ? entry.after.facts : null;
      return <span>first collection: {typeof facts === 'number' ? facts : '?'} fact(s)</span>;
    }
    case 'added':
      return <span>{summary(entry.after)}</span>;
    case 'removed':
      return <span>{summary(entry.before)}</span>;
    case 'changed':
      return (
        <ul class="diff">
          {changedFields(entry.before, entry.after).map((line) => (
            <li>{line}</li>
          ))}
        </ul>
      );
  }
};

export function createHostChangesPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const data = await loadHost(deps, id);
    if (!data) return notFoundPage(c, deps, 'No such host.');
    const query = c.req.query();
    const kind = query.kind && KIND.test(query.kind) ? query.kind : undefined;
    const change = changeTypes.find((t) => t === query.change);
    const page = await readPage(() =>
      hostChanges(deps.sql, id, {
        limit: PAGE_SIZE,
        cursor: query.cursor || null,
        ...(kind ? { kind } : {}),
        ...(change ? { changes: [change] } : {}),
      }),
    );
    const now = Date.now();
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <HostFrame ctx={ctx} data={data} tab="changes">
        <form method="get" action={hostPath(id, 'changes')} class="filters">
          <label>
            Kind <input name="kind" value={kind ?? ''} placeholder="package" maxlength={63} />
          </label>
          <Choice label="Change" name="change" values={changeTypes} selected={change} />
          <button type="submit">Show</button>
        </form>
        <Paged page={page} here={ctx.here} empty="No changes recorded." older="Older changes →">
          <table class="timeline">
            <thead>
              <tr>
                <th>When</th>
                <th>Change</th>
                <th>Kind</th>
                <th>Key</th>
                <th>What</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr>
                  <td>
                    <When at={e.at} now={now} />
                  </td>
                  <td>
                    <Badge kind="change" value={e.change} />
                  </td>
                  <td>{e.kind}</td>
                  <td class="key">{e.key ?? ''}</td>
                  <td>
                    <What entry={e} />
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
