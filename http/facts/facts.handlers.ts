// Facts handlers: the host must exist; facts come from sql/fact-queries.ts and are paged
// in memory by (kind, key), the order the queries return.
import { type RouteHandler, z } from '@hono/zod-openapi';
import { currentFacts, type FactRow, factsAsOf } from '../../sql/fact-queries.ts';
import { getHost } from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorText, decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type { listFactsRoute } from './facts.routes.ts';

const factCursor = z.tuple([cursorText, cursorText]);

// Code-point order, not the database collation, so the cursor test below agrees with it.
const byKindKey = (a: FactRow, b: FactRow) =>
  a.kind === b.kind ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.kind < b.kind ? -1 : 1;

export function createFactHandlers({ sql }: ApiDeps) {
  const list: RouteHandler<typeof listFactsRoute, AppEnv> = async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, factCursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    const rows = query.asOf
      ? await factsAsOf(sql, id, new Date(query.asOf), query.kind)
      : await currentFacts(sql, id, query.kind);
    const sorted = rows.sort(byKindKey);
    const rest = after
      ? sorted.filter((r) => r.kind > after[0] || (r.kind === after[0] && r.key > after[1]))
      : sorted;
    return c.json(
      page(
        rest.slice(0, query.limit + 1),
        query.limit,
        (r) => ({
          hostId: id,
          kind: r.kind,
          key: r.key,
          value: r.value,
          validFrom: iso(r.validFrom),
          validTo: iso(r.validTo),
          probeId: r.firstProbeId,
        }),
        (r) => [r.kind, r.key],
      ),
      200,
    );
  };
  return { list };
}
