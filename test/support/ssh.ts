// SSH targets for the dev test hosts (deploy/dev/ssh-hosts.sh).
import { readFileSync } from 'node:fs';
import type { SshTarget } from '../../collectors/transport.ts';
import type { TestHost } from './env.ts';

export function targetFor(host: TestHost, overrides: Partial<SshTarget> = {}): SshTarget {
  return {
    address: host.address,
    port: host.port,
    username: host.username,
    auth: { type: 'privateKey', privateKey: readFileSync(host.privateKeyPath) },
    hostKeyPolicy: 'strict',
    knownHostKey: host.hostKey,
    ...overrides,
  };
}
