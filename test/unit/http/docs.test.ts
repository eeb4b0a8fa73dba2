import { describe, expect, it } from 'vitest';
import { createApp } from '../../../http/app.ts';
import { renderDocs } from '../../../http/docs.ts';

describe('/docs', () => {
  it('lists each operation with its role, escaping what the document says', async () => {
    const page = String(
      await renderDocs({
        info: { title: 'hostintel', version: '1' },
        paths: {
          '/v1/things/{id}': {
            get: {
              summary: 'A <script>alert(1)</script> thing',
              'x-hostintel-role': 'viewer',
              parameters: [{ name: 'id', in: 'path', required: true }],
              responses: { 200: { description: 'ok' } },
            },
          },
        },
      }),
    );
    expect(page).toContain('<code>/v1/things/{id}</code>');
    expect(page).toContain('role: viewer');
    expect(page).toContain('&lt;script&gt;');
    expect(page).not.toContain('<script>');
  });

  it('is served by an app with only the health routes too', async () => {
    const app = createApp({
      readiness: async () => ({
        ready: true,
        database: { reachable: true, pendingMigrations: 0, serverVersion: '17' },
        timescaledb: null,
      }),
    });
    const docs = await app.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/healthz');
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/v1/hosts')).status).toBe(404);
  });
});
