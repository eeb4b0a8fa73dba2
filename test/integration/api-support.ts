// The API under test: createApp on a real migrated database (one per test file), pino
// captured into memory, and a token per role. Requests go through app.request(): no network.
import { randomBytes } from 'node:crypto';
import { beforeAll } from 'vitest';
import { createLogger } from '../../cli/logger.ts';
import { createApp } from '../../http/app.ts';
import { createNullControl, type HostControl } from '../../http/host-control.ts';
import { checkReadiness } from '../../sql/readiness.ts';
import { createSecretBox, type SecretBox } from '../../sql/secrets.ts';
import { createToken, type Role } from '../../sql/tokens.ts';
import { useTestDatabase } from '../support/db.ts';

export interface RequestOptions {
  token?: string | null;
  /** A value is sent as JSON; a string is sent as is (with `contentType`). */
  json?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  body: unknown;
}

export interface Api {
  readonly app: ReturnType<typeof createApp>;
  readonly db: ReturnType<typeof useTestDatabase>;
  readonly secrets: SecretBox;
  readonly tokens: Record<Role, string>;
  /** Every log line written so far, as one string. */
  logs(): string;
  /** Every response body answered so far, as one string. */
  responses(): string;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
}

export function useApi(options: { control?: () => HostControl } = {}): Api {
  const db = useTestDatabase();
  const logLines: string[] = [];
  const bodies: string[] = [];
  const secrets = createSecretBox(randomBytes(32));
  const tokens = {} as Record<Role, string>;
  let app: ReturnType<typeof createApp> | undefined;

  beforeAll(async () => {
    const logger = createLogger('debug', { write: (line: string) => logLines.push(line) });
    app = createApp({
      sql: db.sql,
      readiness: () => checkReadiness(db.sql),
      secrets,
      control: options.control?.() ?? createNullControl(),
      logger,
    });
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = (await createToken(db.sql, { name: `test ${role}`, role })).token;
    }
  });

  const api: Api = {
    get app() {
      if (!app) throw new Error('the app exists from beforeAll on');
      return app;
    },
    db,
    secrets,
    tokens,
    logs: () => logLines.join(''),
    responses: () => bodies.join('\n'),
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? tokens.admin : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (method === 'GET' || method === 'HEAD') {
        // fetch refuses a body on these; the fuzzers send their junk elsewhere.
      } else if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = opts.contentType ?? 'application/json';
      } else if (opts.raw !== undefined) {
        body = opts.raw;
        if (opts.contentType) headers['content-type'] = opts.contentType;
      }
      const res = await api.app.request(path, { method, headers, body });
      const isStream = res.headers.get('content-type')?.startsWith('text/event-stream');
      const text = isStream ? '' : await res.text();
      if (isStream) await res.body?.cancel();
      bodies.push(text);
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
  };
  return api;
}

/** A problem+json body's fields, asserting nothing. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  errors?: { location: string; path: string; code: string; message: string }[];
}
