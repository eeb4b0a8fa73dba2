// The HTTP application, built from injected dependencies (pg-boss's createProxyService(deps)
// style) so tests drive it with app.request() and no network.
//
// Request path: request log (request id) → security headers → for /v1/*: audit trail →
// bearer authentication (401) → body limit → route: role check (403) → zod validation
// (400/404/422) → handler. Every error is an RFC 9457 problem (problem.ts); unknown errors
// are logged and answered as a bare 500.
//
// Public: /healthz, /readyz, /openapi.json and /docs (they describe the service and hold
// no fleet data, and a browser opening /docs cannot send a bearer token). Everything else
// is under /v1 and needs a token.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { pino } from 'pino';
import { registerActorRoutes } from './actors/index.ts';
import { registerAdvisoryRoutes } from './advisories/index.ts';
import { auditTrail } from './audit.ts';
import { registerAuditRoutes } from './audit-log/index.ts';
import { registerChangeRoutes } from './changes/index.ts';
import { authenticate } from './auth.ts';
import { registerCollectorRoutes } from './collectors/index.ts';
import { registerConsole } from './console/index.ts';
import { registerCredentialRoutes } from './credentials/index.ts';
import type { AppDeps } from './deps.ts';
import { renderDocs } from './docs.ts';
import type { AppEnv } from './env.ts';
import { createErrorHandler, notFound } from './errors.ts';
import { registerExportRoutes } from './export/index.ts';
import { registerFactRoutes } from './facts/index.ts';
import { registerFleetRoutes } from './fleet/index.ts';
import { type ReadinessCheck, registerHealth } from './health.ts';
import { registerHostRoutes } from './hosts/index.ts';
import { registerMetricRoutes } from './metrics/index.ts';
import { problem } from './problem.ts';
import { registerProbeRoutes } from './probes/index.ts';
import { requestLog } from './request-log.ts';
import { BEARER_SCHEME, createRouter } from './route.ts';
import { registerRunnerRoutes } from './runners/index.ts';
import { registerServiceMetrics } from './service-metrics.ts';
import { registerTokenRoutes } from './tokens/index.ts';
import { registerVulnerabilityRoutes } from './vulnerabilities/index.ts';

export type { AppDeps } from './deps.ts';

/** Health only: what `serve` passed before the API existed. */
export interface HealthOnlyDeps {
  readiness: ReadinessCheck;
}

// Private keys are the largest thing anyone sends; 256 KiB leaves room and stops floods.
const MAX_BODY_BYTES = 256 * 1024;

export const documentConfig = {
  openapi: '3.1.0',
  info: {
    title: 'hostintel',
    version: '0.1.0',
    description:
      'Agentless host intelligence for Linux fleets. Bearer tokens with roles ' +
      'viewer < operator < admin (see x-hostintel-role on each operation); errors are ' +
      'RFC 9457 application/problem+json; lists answer { items, nextCursor }.',
  },
};

export function createApp(deps: AppDeps | HealthOnlyDeps): OpenAPIHono<AppEnv> {
  const logger = 'logger' in deps ? deps.logger : pino({ level: 'silent' });
  const app = createRouter();
  app.use('*', requestLog(logger));
  app.use('*', secureHeaders());
  registerHealth(app, deps.readiness);

  if ('sql' in deps) {
    app.use('/v1/*', auditTrail(deps.sql));
    app.use('/v1/*', authenticate(deps.sql));
    app.use(
      '/v1/*',
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: (c) =>
          problem(c, 'payload-too-large', { detail: `limit ${MAX_BODY_BYTES} bytes` }),
      }),
    );
    registerHostRoutes(app, deps);
    registerCredentialRoutes(app, deps);
    registerTokenRoutes(app, deps);
    registerActorRoutes(app, deps);
    registerCollectorRoutes(app);
    registerAuditRoutes(app, deps);
    registerAdvisoryRoutes(app, deps);
    registerVulnerabilityRoutes(app, deps);
    registerFactRoutes(app, deps);
    registerExportRoutes(app, deps);
    registerChangeRoutes(app, deps);
    registerProbeRoutes(app, deps);
    registerRunnerRoutes(app, deps);
    registerMetricRoutes(app, deps);
    registerFleetRoutes(app, deps);
    registerConsole(app, deps);
    registerServiceMetrics(app, deps);
  }

  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (hostintel tokens create, or POST /v1/tokens)',
  });
  app.doc31('/openapi.json', documentConfig);
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderDocs(app.getOpenAPI31Document(documentConfig)));
  });
  app.notFound(notFound);
  app.onError(createErrorHandler(logger));
  return app;
}
