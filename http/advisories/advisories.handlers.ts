// Advisory handlers: import through vuln/import.ts, hosts through vuln/correlate.ts.
import type { RouteHandler } from '@hono/zod-openapi';
import { importOsvJson } from '../../vuln/import.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import { advisoriesWithHosts } from '../vulnerabilities/vulnerabilities.handlers.ts';
import type * as routes from './advisories.routes.ts';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export function createAdvisoryHandlers({ sql }: ApiDeps) {
  const importRecords: Handler<'importAdvisoriesRoute'> = async (c) => {
    return c.json(await importOsvJson(sql, c.req.valid('json')), 200);
  };

  const hosts: Handler<'advisoryHostsRoute'> = async (c) => {
    const [found] = await advisoriesWithHosts(sql, [c.req.valid('param').id]);
    return found ? c.json(found, 200) : problem(c, 'not-found', { detail: 'no such advisory' });
  };

  return { importRecords, hosts };
}
