// One database per test file, cloned from a migrated template (see global-setup.ts).
import { afterAll, beforeAll, inject } from 'vitest';
import { createSql, type Sql } from '../../sql/client.ts';
import { adminDatabaseUrl } from './env.ts';

export interface TestDatabase {
  readonly sql: Sql;
  readonly url: string;
  readonly name: string;
}

let counter = 0;

/** Call at the top of a test file; the database exists from beforeAll to afterAll. */
export function useTestDatabase(options: { timescale?: boolean } = {}): TestDatabase {
  const template = inject('templates')[options.timescale === false ? 'plain' : 'timescale'];
  const name = `hostintel_${inject('runId')}_${process.pid}_${++counter}`;
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  let sql: Sql | undefined;
  const admin = () => createSql(adminDatabaseUrl(), { max: 1 });

  beforeAll(async () => {
    const a = admin();
    try {
      await a`create database ${a(name)} template ${a(template)}`;
    } finally {
      await a.end();
    }
    sql = createSql(url.toString(), { max: 4 });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    const a = admin();
    try {
      await a`drop database if exists ${a(name)} with (force)`;
    } finally {
      await a.end();
    }
  });

  return {
    get sql() {
      if (!sql) throw new Error('the test database is only available inside tests and hooks');
      return sql;
    },
    url: url.toString(),
    name,
  };
}
