// The runners feature: routes bound to their handlers.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { unownedHosts } from '../../sql/leases.ts';
import { listRunners } from '../../sql/runners.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, page } from '../pagination.ts';
import { problem } from '../problem.ts';
import { iso } from '../schemas.ts';
import { listRunnersRoute } from './runners.routes.ts';

// (started_at as the database prints it to the microsecond, id) of the last runner shown.
const cursor = z.tuple([z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), z.uuid()]);
const seconds = (ms: number) => Math.round(ms) / 1000;

/** A calendar time after 1970 that exists (Date.parse takes 2024-02-30, PostgreSQL not). */
function realTime(text: string): boolean {
  const ms = Date.parse(text);
  return ms >= 0 && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
}

export function registerRunnerRoutes(app: OpenAPIHono<AppEnv>, { sql }: ApiDeps): void {
  app.openapi(listRunnersRoute, async (c) => {
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, cursor) : undefined;
    if (after === null || (after && !realTime(after[0]))) {
      return problem(c, 'invalid-cursor');
    }
    const [rows, unowned] = await Promise.all([
      listRunners(sql, {
        limit: query.limit + 1,
        after: after ? { at: after[0], id: after[1] } : undefined,
      }),
      unownedHosts(sql),
    ]);
    const body = page(
      rows,
      query.limit,
      (r) => ({
        id: r.id,
        name: r.name,
        hostname: r.hostname,
        pid: r.pid,
        version: r.version,
        startedAt: iso(r.startedAt),
        heartbeatAt: iso(r.heartbeatAt),
        expiresAt: iso(r.expiresAt),
        stoppedAt: iso(r.stoppedAt),
        live: r.live,
        ageS: seconds(r.ageMs),
        heartbeatAgeS: seconds(r.heartbeatAgeMs),
        leaseTtlS: seconds(r.ttlMs),
        hosts: r.hosts,
        enabledHosts: r.enabledHosts,
      }),
      (r) => [r.cursorAt, r.id],
    );
    return c.json({ ...body, unownedHosts: unowned }, 200);
  });
}
