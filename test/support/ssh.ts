// SSH targets for the dev test hosts (deploy/dev/ssh-hosts.sh) and the simulated ones.
import { readFileSync } from 'node:fs';
import type { SshTarget } from '../../collectors/transport.ts';
import type { SimHost } from '../sim/fleet.ts';
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

/** A simulated host's target, logging in with the fleet's user key. */
export function simTargetFor(host: SimHost, overrides: Partial<SshTarget> = {}): SshTarget {
  if (host.privateKey === null) throw new Error('the fleet made its own key: privateKey is set');
  return {
    address: host.address,
    port: host.port,
    username: host.username,
    auth: { type: 'privateKey', privateKey: host.privateKey },
    hostKeyPolicy: 'strict',
    knownHostKey: host.hostKey,
    ...overrides,
  };
}
