import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SshConnectionPool, targetKey } from '../../../collectors/connection-pool.ts';
import {
  type ExecResult,
  type SshConnection,
  type SshTarget,
  TransportError,
} from '../../../collectors/transport.ts';

const target: SshTarget = {
  address: '192.0.2.10',
  port: 22,
  username: 'hiprobe',
  auth: { type: 'privateKey', privateKey: 'KEY A' },
  hostKeyPolicy: 'strict',
  knownHostKey: 'ssh-ed25519 AAAAkey1',
};

interface FakeConnection extends SshConnection {
  id: number;
  closed: boolean;
  client: EventEmitter;
  execs: number;
  /** The next exec fails with this. */
  failNext?: Error;
}

function fakeTransport() {
  const made: FakeConnection[] = [];
  const connect = vi.fn(async (): Promise<SshConnection> => {
    const connection: FakeConnection = {
      id: made.length + 1,
      closed: false,
      client: new EventEmitter(),
      execs: 0,
      hostKey: 'ssh-ed25519 AAAAkey1',
      async exec(): Promise<ExecResult> {
        if (connection.failNext) {
          const error = connection.failNext;
          connection.failNext = undefined;
          throw error;
        }
        connection.execs++;
        return { stdout: Buffer.from(`from ${connection.id}`), exitCode: 0, stderr: '' };
      },
      close() {
        connection.closed = true;
      },
    };
    made.push(connection);
    return connection;
  });
  return { made, connect };
}

const signal = new AbortController().signal;
const options = { connectTimeoutMs: 1000, signal };
const execOnce = (c: SshConnection) =>
  c.exec('script', { maxBytes: 1000, signal }).then((r) => r.stdout.toString());

afterEach(() => {
  vi.useRealTimers();
});

describe('SshConnectionPool', () => {
  it('runs the next probe of a host on the connection its last probe used', async () => {
    const { made, connect } = fakeTransport();
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 90_000, connect });
    const key = targetKey('host-1', target);
    expect(await pool.run(key, target, options, execOnce)).toBe('from 1');
    expect(await pool.run(key, target, options, execOnce)).toBe('from 1');
    expect(made).toHaveLength(1);
    expect(made[0]?.execs).toBe(2);
    expect(pool.stats()).toEqual({ open: 1, idle: 1, reused: 1, connected: 1, stale: 0 });
    // Another host never gets it.
    expect(await pool.run(targetKey('host-2', target), target, options, execOnce)).toBe('from 2');
    pool.close();
    expect(made.every((c) => c.closed)).toBe(true);
  });

  it('closes, never pools, a connection whose probe failed', async () => {
    const { made, connect } = fakeTransport();
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 90_000, connect });
    const key = targetKey('host-1', target);
    await expect(
      pool.run(key, target, options, async () => {
        throw new Error('output limit');
      }),
    ).rejects.toThrow('output limit');
    expect(made[0]?.closed).toBe(true);
    expect(pool.stats().idle).toBe(0);
    await pool.run(key, target, options, execOnce);
    expect(made).toHaveLength(2);
  });

  it('keeps at most maxOpen connections: the others are closed after their probe', async () => {
    const { made, connect } = fakeTransport();
    const pool = new SshConnectionPool({ maxOpen: 2, idleMs: 90_000, connect });
    for (const host of ['a', 'b', 'c'])
      await pool.run(targetKey(host, target), target, options, execOnce);
    expect(made.map((c) => c.closed)).toEqual([false, false, true]);
    // The hosts that got in keep their connection: cyclic probing still reuses them.
    for (const host of ['a', 'b', 'c'])
      await pool.run(targetKey(host, target), target, options, execOnce);
    expect(pool.stats()).toMatchObject({ open: 2, reused: 2, connected: 4 });
  });

  it('closes a connection idle for idleMs, and one the server ended while idle', async () => {
    vi.useFakeTimers();
    const { made, connect } = fakeTransport();
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 90_000, connect });
    await pool.run(targetKey('a', target), target, options, execOnce);
    await pool.run(targetKey('b', target), target, options, execOnce);
    vi.advanceTimersByTime(89_000);
    expect(made.map((c) => c.closed)).toEqual([false, false]);
    made[1]?.client.emit('close');
    expect(made[1]?.closed).toBe(true);
    expect(pool.stats().idle).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(made[0]?.closed).toBe(true);
    expect(pool.stats()).toMatchObject({ open: 0, idle: 0 });
  });

  it('replaces a pooled connection that cannot open a channel, once', async () => {
    const { made, connect } = fakeTransport();
    const pool = new SshConnectionPool({ maxOpen: 10, idleMs: 90_000, connect });
    const key = targetKey('a', target);
    await pool.run(key, target, options, execOnce);
    const first = made[0] as FakeConnection;
    first.failNext = new TransportError('cannot open a channel: No response from server');
    expect(await pool.run(key, target, options, execOnce)).toBe('from 2');
    expect(first.closed).toBe(true);
    expect(pool.stats()).toMatchObject({ reused: 1, stale: 1, connected: 2, idle: 1 });
    // Not for a failure of a fresh connection, nor for other failures.
    (made[1] as FakeConnection).failNext = new Error('probe aborted');
    await expect(pool.run(key, target, options, execOnce)).rejects.toThrow('probe aborted');
    expect(made).toHaveLength(2);
  });

  it('keys connections by everything that decides whom they reach', () => {
    const key = targetKey('a', target);
    expect(targetKey('a', { ...target })).toBe(key);
    expect(targetKey('b', target)).not.toBe(key);
    for (const changed of [
      { address: '192.0.2.11' },
      { port: 2222 },
      { username: 'other' },
      { auth: { type: 'privateKey' as const, privateKey: 'KEY B' } },
      { knownHostKey: 'ssh-ed25519 AAAAkey2' },
      { hostKeyPolicy: 'accept-new' as const },
      { jump: { ...target, address: '192.0.2.1' } },
    ]) {
      expect(targetKey('a', { ...target, ...changed })).not.toBe(key);
    }
    expect(key).not.toContain('KEY A');
  });
});
