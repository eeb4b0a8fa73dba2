// SSH transport on ssh2: one connection, one exec channel per probe. Host keys are verified
// by policy; sockets have Nagle off (ssh2 leaves it on: +40 ms per round trip, DESIGN §8);
// auth methods are given explicitly (ssh2 otherwise tries `none` first).
import { createHash } from 'node:crypto';
import net from 'node:net';
import { type AnyAuthMethod, Client, type ClientChannel } from 'ssh2';

export const hostKeyPolicies = ['strict', 'accept-new', 'off'] as const;
export type HostKeyPolicy = (typeof hostKeyPolicies)[number];

export type SshAuth =
  | { type: 'privateKey'; privateKey: string | Buffer; passphrase?: string }
  | { type: 'password'; password: string }
  | { type: 'agent'; socket?: string };

export interface SshTarget {
  address: string;
  port: number;
  username: string;
  auth: SshAuth;
  hostKeyPolicy: HostKeyPolicy;
  /** The pinned key, "ssh-ed25519 AAAA…"; null when none is pinned yet. */
  knownHostKey: string | null;
  /** ProxyJump-style: reach `address` through this host's direct-tcpip forwarding. */
  jump?: SshTarget;
}

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
}
export class HostKeyUnknownError extends TransportError {
  override readonly name = 'HostKeyUnknownError';
}
export class HostKeyChangedError extends TransportError {
  override readonly name = 'HostKeyChangedError';
  constructor(
    message: string,
    readonly presented: string,
  ) {
    super(message);
  }
}
/** The jump host is unknown, unusable or cannot reach the target. */
export class JumpHostError extends TransportError {
  override readonly name = 'JumpHostError';
}
export class AuthenticationError extends TransportError {
  override readonly name = 'AuthenticationError';
}
export class OutputLimitError extends TransportError {
  override readonly name = 'OutputLimitError';
}
export class ProbeAbortedError extends TransportError {
  override readonly name = 'ProbeAbortedError';
}

/** "ssh-ed25519 AAAA…" from the wire-format key blob ssh2 hands to hostVerifier. */
export function formatHostKey(blob: Buffer): string {
  const typeLength = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + typeLength).toString('latin1');
  return `${type} ${blob.toString('base64')}`;
}

export function fingerprint(hostKey: string): string {
  const blob = Buffer.from(hostKey.split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface SshConnection {
  /** The host key the server presented (to pin on first contact). */
  readonly hostKey: string;
  exec(script: string, options: ExecOptions): Promise<ExecResult>;
  close(): void;
}

export interface ExecOptions {
  maxBytes: number;
  signal: AbortSignal;
  /** Called with each stdout chunk as it arrives (progress, section timing). */
  onData?: (chunk: Buffer, at: number) => void;
}

export interface ExecResult {
  stdout: Buffer;
  exitCode: number | null;
  stderr: string;
}

let openConnections = 0;
/** Live SSH connections in this process; the test suite's leak check reads it. */
export function openConnectionCount(): number {
  return openConnections;
}

export async function connect(
  target: SshTarget,
  options: { connectTimeoutMs: number; signal: AbortSignal },
): Promise<SshConnection> {
  // Before any socket exists: a missing agent must fail here, not leave an open socket with no
  // error listener behind (an unreachable host would then crash the process).
  const auth = authHandler(target);
  const jump = target.jump ? await connectJump(target.jump, options) : undefined;
  try {
    const sock = jump
      ? await forward(jump, target)
      : net.connect({ host: target.address, port: target.port, noDelay: true });
    return await handshake(target, sock, auth, options, jump);
  } catch (error) {
    jump?.close();
    throw error;
  }
}

/**
 * A jump host's own failure (its key changed, its login refused) is reported as the jump's,
 * so that it is not taken for the target's: the target's pinned key is not in question.
 */
async function connectJump(
  jump: SshTarget,
  options: { connectTimeoutMs: number; signal: AbortSignal },
): Promise<SshConnection> {
  try {
    return await connect(jump, options);
  } catch (error) {
    if (!(error instanceof TransportError) || error instanceof ProbeAbortedError) throw error;
    if (error instanceof JumpHostError) throw error;
    throw new JumpHostError(`jump host ${jump.address}:${jump.port}: ${error.message}`, {
      cause: error,
    });
  }
}

function forward(jump: SshConnection & { client?: Client }, target: SshTarget) {
  const client = (jump as unknown as { client: Client }).client;
  return new Promise<ClientChannel>((resolve, reject) =>
    client.forwardOut('127.0.0.1', 0, target.address, target.port, (error, stream) =>
      error
        ? reject(new JumpHostError(`jump host cannot reach ${target.address}: ${error.message}`))
        : resolve(stream),
    ),
  );
}

function authHandler(target: SshTarget): AnyAuthMethod[] {
  const { auth, username } = target;
  if (auth.type === 'privateKey') {
    return [{ type: 'publickey', username, key: auth.privateKey, passphrase: auth.passphrase }];
  }
  if (auth.type === 'password') return [{ type: 'password', username, password: auth.password }];
  const agent = auth.socket ?? process.env.SSH_AUTH_SOCK;
  if (!agent) throw new AuthenticationError('agent authentication needs SSH_AUTH_SOCK');
  return [{ type: 'agent', username, agent }];
}

function handshake(
  target: SshTarget,
  sock: net.Socket | ClientChannel,
  auth: AnyAuthMethod[],
  options: { connectTimeoutMs: number; signal: AbortSignal },
  jump: SshConnection | undefined,
): Promise<SshConnection> {
  const client = new Client();
  let presented = '';
  let refusal: TransportError | undefined;
  const where = `${target.address}:${target.port}`;

  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      client.end();
      sock.destroy();
      reject(error);
    };
    const onAbort = () => fail(new ProbeAbortedError(`connection to ${where} aborted`));
    const cleanup = () => options.signal.removeEventListener('abort', onAbort);
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });

    client.once('ready', () => {
      cleanup();
      openConnections++;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        openConnections--;
        client.end();
        jump?.close();
      };
      client.once('close', close);
      resolve({
        hostKey: presented,
        exec: (script, execOptions) => exec(client, script, execOptions),
        close,
        client,
      } as SshConnection);
    });
    // `on`, not `once`: ssh2 can emit a second error (a handshake that timed out, then its
    // socket closing; a reset during an exec), and an error event with no listener left would
    // end the process. Only the first one decides; the promise is settled by then.
    let failed = false;
    client.on('error', (error: Error & { level?: string }) => {
      if (failed) return;
      failed = true;
      if (refusal) return fail(refusal);
      if (error.level === 'client-authentication') {
        return fail(
          new AuthenticationError(`authentication as ${target.username} to ${where} failed`),
        );
      }
      if (error.level === 'client-timeout') {
        return fail(new TransportError(`connection to ${where} timed out`));
      }
      fail(new TransportError(`cannot connect to ${where}: ${error.message}`, { cause: error }));
    });
    client.connect({
      sock,
      username: target.username,
      readyTimeout: options.connectTimeoutMs,
      authHandler: auth,
      hostVerifier: (blob: Buffer) => {
        presented = formatHostKey(blob);
        refusal = verifyHostKey(target, presented, where);
        return refusal === undefined;
      },
      keepaliveInterval: 0,
    });
  });
}

function verifyHostKey(target: SshTarget, presented: string, where: string) {
  if (target.hostKeyPolicy === 'off') return undefined;
  if (target.knownHostKey === null) {
    if (target.hostKeyPolicy === 'accept-new') return undefined;
    return new HostKeyUnknownError(
      `${where} presented ${fingerprint(presented)} and no host key is pinned (policy strict)`,
    );
  }
  if (sameKey(target.knownHostKey, presented)) return undefined;
  return new HostKeyChangedError(
    `HOST KEY CHANGED for ${where}: expected ${fingerprint(target.knownHostKey)}, got ${fingerprint(presented)}`,
    presented,
  );
}

function sameKey(a: string, b: string): boolean {
  const [typeA, dataA] = a.trim().split(/\s+/);
  const [typeB, dataB] = b.trim().split(/\s+/);
  return typeA === typeB && dataA === dataB;
}

function exec(client: Client, script: string, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(new ProbeAbortedError('probe aborted'));
    // `exec sh -s` reads the script from stdin: no length limit on the command line, and the
    // login shell's rc files are not involved beyond the one exec.
    client.exec('exec /bin/sh -s', (error, channel) => {
      if (error) return reject(new TransportError(`cannot open a channel: ${error.message}`));
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = '';
      let settled = false;
      const finish = (result: ExecResult | Error) => {
        if (settled) return;
        settled = true;
        options.signal.removeEventListener('abort', onAbort);
        if (result instanceof Error) {
          channel.destroy();
          reject(result);
        } else resolve(result);
      };
      const onAbort = () => finish(new ProbeAbortedError('probe aborted'));
      options.signal.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          return finish(new OutputLimitError(`probe output exceeded ${options.maxBytes} bytes`));
        }
        chunks.push(chunk);
        options.onData?.(chunk, Date.now());
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-2048);
      });
      channel.once('close', (code: number | null) =>
        finish({ stdout: Buffer.concat(chunks), exitCode: code ?? null, stderr }),
      );
      channel.end(script);
    });
  });
}
