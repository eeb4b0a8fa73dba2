// Facts handlers: the host must exist; facts come from sql/fact-queries.ts and are paged
// in the database by (kind, key) in code-point order, the order cursors compare in.
import { type RouteHandler, z } from '@hono/zod-openapi';
import { currentFacts, factsAsOf } from '../../sql/fact-queries.ts';
import { getHost } from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorText, decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type { listFactsRoute } from './facts.routes.ts';

const factCursor = z.tuple([cursorText, cursorText]);

export function createFactHandlers({ sql }: ApiDeps) {
  const list: RouteHandler<typeof listFactsRoute, AppEnv> = async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, factCursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    // One row more than the page: page() turns it into the next cursor.
    const window = { after, limit: query.limit + 1 };
    const rows = query.asOf
      ? await factsAsOf(sql, id, new Date(query.asOf), query.kind, window)
      : await currentFacts(sql, id, query.kind, window);
    return c.json(
      page(
        rows,
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
