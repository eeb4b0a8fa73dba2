// The export handler: the host must exist; the document is rendered by the same code as
// `hostintel export --host` and answered as an attachment.
import type { RouteHandler } from '@hono/zod-openapi';
import { renderHostExport } from '../../cli/export/host-export.ts';
import { getHost } from '../../sql/hosts.ts';
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { problem } from '../problem.ts';
import type { exportHostRoute } from './export.routes.ts';

export function createExportHandlers({ sql }: ApiDeps) {
  const exportHost: RouteHandler<typeof exportHostRoute, AppEnv> = async (c) => {
    const host = await getHost(sql, c.req.valid('param').id);
    if (!host) return problem(c, 'not-found', { detail: 'no such host' });
    const { format, asOf } = c.req.valid('query');
    const rendered = await renderHostExport(sql, host, format, asOf ? new Date(asOf) : null);
    return c.body(rendered.body, 200, {
      'Content-Type': rendered.mediaType,
      // The file name is reduced to [A-Za-z0-9._-]: nothing to quote or escape.
      'Content-Disposition': `attachment; filename="${rendered.filename}"`,
    });
  };
  return { exportHost };
}
