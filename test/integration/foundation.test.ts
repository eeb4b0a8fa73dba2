import { describe, expect, it } from 'vitest';
import { createApp } from '../../http/app.ts';
import { createSql } from '../../sql/client.ts';
import { listMigrations, migrate } from '../../sql/migrate.ts';
import { checkReadiness } from '../../sql/readiness.ts';
import { useTestDatabase } from '../support/db.ts';
import { adminDatabaseUrl } from '../support/env.ts';

const db = useTestDatabase();

describe('database foundation', () => {
  it('has the TimescaleDB extension active in the test database', async () => {
    const [row] = await db.sql<{ extversion: string }[]>`
      select extversion from pg_extension where extname = 'timescaledb'`;
    expect(row?.extversion).toMatch(/^\d+\.\d+/);
  });

  it('records every migration once', async () => {
    const rows = await db.sql<
      { version: number }[]
    >`select version from schema_migrations order by 1`;
    expect(rows.map((r) => r.version)).toEqual((await listMigrations()).map((m) => m.version));
  });

  it('migrates safely when two processes start at once', async () => {
    const admin = createSql(adminDatabaseUrl(), { max: 1 });
    const name = `${db.name}_race`;
    await admin`create database ${admin(name)}`;
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const a = createSql(url.toString(), { max: 2 });
    const b = createSql(url.toString(), { max: 2 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const total = (await listMigrations()).length;
      expect(ra.applied.length + rb.applied.length).toBe(total);
      const [count] = await a<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
      expect(count?.n).toBe(total);
    } finally {
      await Promise.all([a.end(), b.end()]);
      await admin`drop database ${admin(name)} with (force)`;
      await admin.end();
    }
  });

  it('reports readiness with the TimescaleDB version', async () => {
    const app = createApp({ readiness: () => checkReadiness(db.sql) });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as {
      timescaledb: string;
      database: { pendingMigrations: number };
    };
    expect(body.timescaledb).toMatch(/^\d+\.\d+/);
    expect(body.database.pendingMigrations).toBe(0);
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('is not ready when the database is unreachable', async () => {
    const dead = createSql('postgres://nobody@127.0.0.1:1/none', { max: 1 });
    const app = createApp({ readiness: () => checkReadiness(dead) });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { database: { reachable: boolean } }).database.reachable).toBe(
      false,
    );
    await dead.end();
  });
});
