// Change feed handlers over sql/changes.ts (and sql/fleet-queries.ts when a host filter
// narrows the fleet feed).
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type ChangeEntry,
  type ChangeQuery,
  fleetChanges,
  hostChanges,
} from '../../sql/changes.ts';
import { InvalidCursorError, type Page } from '../../sql/cursor.ts';
import { filteredFleetChanges, isEmptyFilter } from '../../sql/fleet-queries.ts';
import { getHost } from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { toHostFilter } from '../fleet/host-filter.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import type * as routes from './changes.routes.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

interface ChangeParams {
  since?: string | undefined;
  until?: string | undefined;
  kind?: string | undefined;
  change?: ChangeEntry['change'] | undefined;
  cursor?: string | undefined;
  limit: number;
}

function toQuery(q: ChangeParams): ChangeQuery {
  return {
    ...(q.since ? { since: new Date(q.since) } : {}),
    ...(q.until ? { until: new Date(q.until) } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.change ? { changes: [q.change] } : {}),
    cursor: q.cursor ?? null,
    limit: q.limit,
  };
}

const toItem = (e: ChangeEntry) => ({ ...e, at: iso(e.at) });

async function answer(c: Context<AppEnv>, read: () => Promise<Page<ChangeEntry>>) {
  try {
    const { items, nextCursor } = await read();
    return c.json({ items: items.map(toItem), nextCursor }, 200);
  } catch (error) {
    if (error instanceof InvalidCursorError) return problem(c, 'invalid-cursor');
    throw error;
  }
}

export function createChangeHandlers({ sql }: ApiDeps) {
  const host: Handler<'hostChangesRoute'> = async (c) => {
    const { id } = c.req.valid('param');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    const query = toQuery(c.req.valid('query'));
    return answer(c, () => hostChanges(sql, id, query));
  };

  const fleet: Handler<'fleetChangesRoute'> = async (c) => {
    const params = c.req.valid('query');
    const filter = toHostFilter(params);
    const query = toQuery(params);
    return answer(c, () =>
      isEmptyFilter(filter) ? fleetChanges(sql, query) : filteredFleetChanges(sql, filter, query),
    );
  };

  return { host, fleet };
}
