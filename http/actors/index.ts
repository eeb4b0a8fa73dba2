// Probe requests and actor views, through the HostControl the actors layer provides.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { getHost } from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { cursorText, decodeCursor, encodeCursor } from '../pagination.ts';
import { problem } from '../problem.ts';
import { actorStream } from './actor-stream.ts';
import * as routes from './actors.routes.ts';
import { probeAnswer } from './probe-answer.ts';

const cursor = z.tuple([cursorText]);

function hostIdOf(view: unknown): string {
  const id = (view as { hostId?: unknown } | null)?.hostId;
  return typeof id === 'string' ? id : '';
}

export function registerActorRoutes(app: OpenAPIHono<AppEnv>, { sql, control }: ApiDeps): void {
  app.openapi(routes.requestProbeRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await getHost(sql, id))) return problem(c, 'not-found', { detail: 'no such host' });
    const answer = probeAnswer(await control.requestProbe(id));
    if (answer.status === 202) return c.json({ probeId: answer.probeId, hostId: id }, 202);
    const headers: Record<string, string> =
      answer.retryAfterS === undefined ? {} : { 'Retry-After': String(answer.retryAfterS) };
    const retryAfterMs = answer.retryAfterS === undefined ? undefined : answer.retryAfterS * 1000;
    const options = { detail: answer.detail, headers, ...(retryAfterMs ? { retryAfterMs } : {}) };
    if (answer.status === 429) return problem(c, 'probe-debounced', options);
    if (answer.status === 404) return problem(c, 'no-actor', options);
    return answer.kind === 'host-paused'
      ? problem(c, 'host-paused', options)
      : problem(c, 'probe-in-flight', options);
  });

  app.openapi(routes.getActorRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = control.actorView(id);
    if (view) return c.json(view as z.infer<typeof routes.actorViewSchema>, 200);
    return (await getHost(sql, id))
      ? problem(c, 'no-actor', { detail: 'no probe actor runs for this host' })
      : problem(c, 'not-found', { detail: 'no such host' });
  });

  app.openapi(routes.listActorsRoute, (c) => {
    const query = c.req.valid('query');
    const after = query.cursor ? decodeCursor(query.cursor, cursor) : undefined;
    if (after === null) return problem(c, 'invalid-cursor');
    const views = control
      .actorViews({ state: query.state })
      .map((view) => ({ view, hostId: hostIdOf(view) }))
      .filter((v) => !after || v.hostId > after[0])
      .sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
    const shown = views.slice(0, query.limit);
    const last = shown.at(-1);
    return c.json(
      {
        items: shown.map((v) => v.view as z.infer<typeof routes.actorViewSchema>),
        nextCursor: views.length > query.limit && last ? encodeCursor([last.hostId]) : null,
      },
      200,
    );
  });

  app.openapi(routes.actorStreamRoute, (c) => actorStream(c, control));
}
