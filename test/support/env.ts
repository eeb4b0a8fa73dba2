// What the dev scripts (deploy/dev/up.sh) provide to the integration tests.
import { readFileSync } from 'node:fs';

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
