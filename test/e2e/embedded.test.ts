// `hostintel serve` without DATABASE_URL, as the README's first command runs it: the embedded
// PostgreSQL starts under the data directory, and SIGTERM shuts down in order — the server and
// its probes first, the embedded database last — with exit code 0, not killed by a hook.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../support/serve.ts';

describe('hostintel serve on the embedded database', () => {
  it('serves, then stops in order on SIGTERM', async () => {
    const served = await startServe({
      databaseUrl: null,
      token: 'e2e-embedded-token-0123456789',
      readyMs: 120_000,
    });
    try {
      const ready = await fetch(`${served.base}/readyz`);
      expect(await ready.json()).toMatchObject({ ready: true, timescaledb: null });
      const hosts = await served.api('GET', '/v1/hosts');
      expect(hosts).toEqual({ status: 200, body: { items: [], nextCursor: null } });
      const postmaster = path.join(served.dataDir, 'pg', 'postmaster.pid');
      expect(existsSync(postmaster)).toBe(true);
      const how = await served.terminate();
      expect(how, served.output().slice(-2000)).toEqual({ code: 0, signal: null });
      expect(served.output()).toContain('shutting down');
      expect(existsSync(postmaster)).toBe(false); // the server stopped the database, cleanly
    } finally {
      await served.stop();
    }
  }, 180_000);
});
