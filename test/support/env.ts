// What the dev scripts (deploy/dev/up.sh) provide to the integration tests.
import { readFileSync } from 'node:fs';
import type { Sql } from '../../sql/client.ts';
import { type HostRow, type NewHost, registerHost } from '../../sql/hosts.ts';
import type { SecretBox } from '../../sql/secrets.ts';

export interface TestHost {
  name: string;
  address: string;
  port: number;
  username: string;
  privateKeyPath: string;
  hostKey: string;
  sudo: boolean;
  /** The host's filesystem root on this machine, to compare what a probe saw. */
  root: string;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, which provisions the test database and sshd hosts`,
    );
  }
  return value;
}

export function adminDatabaseUrl(): string {
  return requireEnv('HOSTINTEL_TEST_DATABASE_URL');
}

export function testHosts(): TestHost[] {
  return JSON.parse(readFileSync(requireEnv('HOSTINTEL_TEST_HOSTS'), 'utf8')) as TestHost[];
}

export function testHost(name: string): TestHost {
  const host = testHosts().find((h) => h.name === name);
  if (!host) throw new Error(`test host ${name} is not in HOSTINTEL_TEST_HOSTS`);
  return host;
}

/** A test host's address, login and pinned key (strict policy), as registration fields. */
export function pinned(host: {
  name: string;
  address: string;
  port: number;
  username: string;
  hostKey: string;
}) {
  const { name, address, port, username, hostKey } = host;
  return { name, address, port, username, hostKeyPolicy: 'strict' as const, hostKey };
}

/**
 * Registers a dev sshd host under `name`: its address, login, pinned key (strict policy) and
 * private key, plus `extra` fields.
 */
export function registerDevHost(
  sql: Sql,
  box: SecretBox,
  name: string,
  host: TestHost,
  extra: Partial<NewHost> = {},
): Promise<HostRow> {
  return registerHost(sql, box, {
    ...pinned(host),
    name,
    credential: {
      secret: { type: 'privateKey', privateKey: readFileSync(host.privateKeyPath, 'utf8') },
    },
    ...extra,
  });
}
