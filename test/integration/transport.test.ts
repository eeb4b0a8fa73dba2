import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  connect,
  HostKeyChangedError,
  HostKeyUnknownError,
  type SshTarget,
} from '../../collectors/transport.ts';
import { testHost, testHosts } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';

const options = () => ({ connectTimeoutMs: 10_000, signal: new AbortController().signal });

async function run(target: SshTarget, script: string) {
  const connection = await connect(target, options());
  try {
    const result = await connection.exec(script, { maxBytes: 1 << 20, signal: options().signal });
    return { ...result, hostKey: connection.hostKey };
  } finally {
    connection.close();
  }
}

describe('SSH transport against the dev sshd hosts', () => {
  it.each(testHosts().map((h) => [h.name, h] as const))('runs a command on %s', async (_, host) => {
    const result = await run(targetFor(host), 'echo ok; id -un');
    expect(result.stdout.toString()).toBe(`ok\n${host.username}\n`);
    expect(result.exitCode).toBe(0);
    expect(result.hostKey).toBe(host.hostKey);
  });

  it('refuses an unknown host key under the strict policy', async () => {
    const target = targetFor(testHost('deb12'), { knownHostKey: null });
    await expect(run(target, 'true')).rejects.toBeInstanceOf(HostKeyUnknownError);
  });

  it('pins on first contact under accept-new and refuses a changed key', async () => {
    const host = testHost('deb12');
    const first = await run(
      targetFor(host, { hostKeyPolicy: 'accept-new', knownHostKey: null }),
      'true',
    );
    expect(first.hostKey).toBe(host.hostKey);
    const other = testHost('deb13').hostKey; // a real key, but not this host's
    const changed = run(
      targetFor(host, { hostKeyPolicy: 'accept-new', knownHostKey: other }),
      'true',
    );
    await expect(changed).rejects.toBeInstanceOf(HostKeyChangedError);
  });

  it('accepts any key with the policy off', async () => {
    const other = testHost('deb13').hostKey;
    const result = await run(
      targetFor(testHost('deb12'), { hostKeyPolicy: 'off', knownHostKey: other }),
      'true',
    );
    expect(result.exitCode).toBe(0);
  });

  it('reports a key the server does not accept as an authentication error', async () => {
    const { privateKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const target = targetFor(testHost('deb12'), { auth: { type: 'privateKey', privateKey } });
    await expect(run(target, 'true')).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('reaches a host through a jump host', async () => {
    const jump = targetFor(testHost('deb12'));
    const result = await run(targetFor(testHost('deb13'), { jump }), 'cat /etc/os-release');
    expect(result.stdout.toString()).toContain('VERSION_ID="13"');
  });
});
