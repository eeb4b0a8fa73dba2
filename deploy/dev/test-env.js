#!/usr/bin/env node
// `npm test` runs through this: it makes sure a TimescaleDB and the test sshd hosts are
// reachable, then runs the given command with their addresses in the environment.
// Already provided (HOSTINTEL_TEST_DATABASE_URL + HOSTINTEL_TEST_HOSTS) → used as they are.
// Otherwise, on Debian as root, deploy/dev/up.sh provisions them (idempotent, fast when warm).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const env = { ...process.env };

if (!env.HOSTINTEL_TEST_DATABASE_URL || !env.HOSTINTEL_TEST_HOSTS) {
  const canProvision =
    process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/etc/debian_version');
  if (!canProvision) {
    console.error(
      'hostintel tests need a PostgreSQL with TimescaleDB and the test sshd hosts.\n' +
        'Provide HOSTINTEL_TEST_DATABASE_URL (a superuser URL) and HOSTINTEL_TEST_HOSTS (a hosts.json,\n' +
        'see deploy/dev/README.md), or run the tests as root on Debian so deploy/dev/up.sh can provision them.',
    );
    process.exit(1);
  }
  const up = spawnSync('bash', [path.join(here, 'up.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (up.status !== 0) {
    console.error(`deploy/dev/up.sh failed (exit ${up.status}); see its messages above`);
    process.exit(1);
  }
  for (const line of up.stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, value] = match;
    if (key === 'DATABASE_URL') env.HOSTINTEL_TEST_DATABASE_URL = value;
    else env[key] = value;
  }
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: test-env.js <command> [args…]');
  process.exit(2);
}
const bin = path.join(here, '../../node_modules/.bin', command);
const result = spawnSync(existsSync(bin) ? bin : command, args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
