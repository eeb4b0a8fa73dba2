// Runs once per `vitest run`: migrates two template databases in the test server — one with
// TimescaleDB, one plain PostgreSQL — so each test file can clone its own in milliseconds.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createSql, type Sql } from '../../sql/client.ts';
import { migrate } from '../../sql/migrate.ts';
import { adminDatabaseUrl, testHosts } from './env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templates: { timescale: string; plain: string };
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = adminDatabaseUrl();
  testHosts(); // fail early, with the reason, when the sshd hosts are not described
  const runId = `${process.pid}${randomBytes(2).toString('hex')}`;
  const admin = createSql(adminUrl, { max: 1 });
  const templates = { timescale: `hostintel_${runId}_tpl_ts`, plain: `hostintel_${runId}_tpl_pg` };
  try {
    await prepareTemplate(admin, adminUrl, templates.timescale, true);
    await prepareTemplate(admin, adminUrl, templates.plain, false);
  } catch (error) {
    await admin.end();
    throw error;
  }
  project.provide('templates', templates);
  project.provide('runId', runId);

  return async () => {
    const rows = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`hostintel_${runId}_%`}`;
    for (const { datname } of rows) {
      await admin`alter database ${admin(datname)} is_template false`.catch(() => {});
      await admin`drop database if exists ${admin(datname)} with (force)`;
    }
    await admin.end();
  };
}

async function prepareTemplate(admin: Sql, adminUrl: string, name: string, timescale: boolean) {
  await admin`create database ${admin(name)}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = createSql(url.toString(), { max: 1 });
  try {
    const info = await migrate(sql, { timescale });
    if (timescale && !info.timescaledb) {
      throw new Error(
        'the test database server has no TimescaleDB (see deploy/dev/timescaledb.sh)',
      );
    }
  } finally {
    await sql.end();
  }
  // TimescaleDB's background workers connect to every database with the extension; a
  // template must have no connections while it is copied.
  await admin`alter database ${admin(name)} with allow_connections false is_template true`;
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;
}
