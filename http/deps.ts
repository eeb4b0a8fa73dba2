// What the API is built from (pg-boss's createProxyService(deps) style): no module reads
// the environment or opens a connection of its own, so tests build the app with fakes.
import type { Logger } from 'pino';
import type { Sql } from '../sql/client.ts';
import type { SecretBox } from '../sql/secrets.ts';
import type { ReadinessCheck } from './health.ts';
import type { HostControl } from './host-control.ts';

export interface ApiDeps {
  sql: Sql;
  secrets: SecretBox;
  control: HostControl;
  /** Request logs and unhandled errors; never given bodies or the Authorization header. */
  logger: Logger;
}

export interface AppDeps extends ApiDeps {
  readiness: ReadinessCheck;
  /** GET /metrics text (actors/service-metrics.ts); without it, process metrics only. */
  serviceMetrics?: { metrics(): Promise<string> };
}
