// The SSH side of one simulated host: a TCP listener whose connections are handed to an ssh2
// server holding the key the host presents right now (so a key can change without a new
// port), publickey/password authentication of the one probe user, and the exec channel that
// reads a probe script from stdin and answers it.
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import ssh2, { type AuthContext, type Connection, type ParsedKey, type ServerChannel } from 'ssh2';
import { type Fault, faultOf } from './faults.ts';
import type { HostModel } from './host-model.ts';
import type { KeyPair } from './keys.ts';
import { type Part, partsLength, respond } from './respond.ts';
import { parseProbeScript } from './script-parser.ts';

const { Server } = ssh2;
type SshServer = InstanceType<typeof Server>;

/** A probe script is ~10 KB; anything much larger is not one. */
const MAX_SCRIPT_BYTES = 1024 * 1024;
const STREAM_CHUNK = 64 * 1024;

export interface FleetCounters {
  connections: number;
  authFailures: number;
  execs: number;
  bytesSent: number;
  /** Channel or connection errors seen on the server side (client resets and such). */
  errors: number;
}

/** What every host of a fleet shares. */
export interface SharedHostConfig {
  username: string;
  clientKey: ParsedKey;
  password: string | undefined;
  sudo: boolean;
  now: () => number;
  counters: FleetCounters;
}

export interface HostState {
  index: number;
  address: string;
  faults: Fault[];
  /** The key the host was created with or rotated to. */
  key: KeyPair;
  /** The other key it presents under a host-key-change fault. */
  impostorKey: () => KeyPair;
  model: () => HostModel;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SshHost {
  private readonly listener: net.Server;
  private readonly servers = new Map<string, SshServer>();
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly state: HostState,
    private readonly shared: SharedHostConfig,
  ) {
    this.listener = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.listener.on('error', () => {});
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen({ host: this.state.address, port, backlog: 64 }, () => {
        this.listener.off('error', reject);
        const address = this.listener.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** The key changed for good (rotation): servers holding an old key are dropped. */
  forgetKeys(): void {
    this.servers.clear();
  }

  /** Drops every connection, e.g. the hanging ones when a fault is cleared. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.listener.close(() => resolve()));
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    this.shared.counters.connections++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const key = faultOf(this.state.faults, 'host-key-change')
      ? this.state.impostorKey()
      : this.state.key;
    this.serverFor(key).injectSocket(socket);
  }

  private serverFor(key: KeyPair): SshServer {
    let server = this.servers.get(key.publicKey);
    if (!server) {
      server = new Server({ hostKeys: [key.privateKey] }, (client, info) =>
        this.session(client, info.port),
      );
      server.on('error', () => {});
      this.servers.set(key.publicKey, server);
    }
    return server;
  }

  private session(client: Connection, remotePort: number): void {
    client.on('error', () => this.shared.counters.errors++);
    client.on('authentication', (ctx) => this.authenticate(ctx));
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec) => this.exec(acceptExec(), remotePort));
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (_accept, reject) => reject?.());
      });
    });
  }

  private authenticate(ctx: AuthContext): void {
    const { password, counters } = this.shared;
    const verdict = this.verdict(ctx);
    if (verdict === 'accept') {
      ctx.accept();
      return;
    }
    if (verdict === 'failure') counters.authFailures++;
    ctx.reject(password === undefined ? ['publickey'] : ['publickey', 'password']);
  }

  /** `next`: not a failure yet (the client's `none` probe, or a method it may not use). */
  private verdict(ctx: AuthContext): 'accept' | 'failure' | 'next' {
    const { username, clientKey, password } = this.shared;
    if (faultOf(this.state.faults, 'auth-failure') || ctx.username !== username) {
      return ctx.method === 'none' ? 'next' : 'failure';
    }
    if (ctx.method === 'publickey') {
      if (ctx.key.algo !== clientKey.type || !ctx.key.data.equals(clientKey.getPublicSSH())) {
        return 'failure';
      }
      // Without a signature the client only asks whether this key would do.
      if (!ctx.signature || !ctx.blob) return 'accept';
      return clientKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) ? 'accept' : 'failure';
    }
    if (ctx.method === 'password' && password !== undefined) {
      return sameSecret(ctx.password, password) ? 'accept' : 'failure';
    }
    return 'next';
  }

  private exec(channel: ServerChannel, remotePort: number): void {
    this.shared.counters.execs++;
    const chunks: Buffer[] = [];
    let size = 0;
    let closed = false;
    channel.on('close', () => {
      closed = true;
    });
    channel.on('error', () => this.shared.counters.errors++);
    channel.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_SCRIPT_BYTES) chunks.push(chunk);
    });
    channel.on('end', () => {
      if (size > MAX_SCRIPT_BYTES) {
        this.finish(channel, 2, 'sh: script too large\n');
        return;
      }
      void this.answer(channel, Buffer.concat(chunks).toString('utf8'), remotePort, () => closed);
    });
  }

  private finish(channel: ServerChannel, status: number, stderr = ''): void {
    // A client killed mid-script (a SIGKILLed runner) leaves a cut script and a closed channel.
    if (!channel.writable) return;
    if (stderr && channel.stderr.writable) channel.stderr.write(stderr);
    channel.exit(status);
    channel.end();
  }

  private async answer(
    channel: ServerChannel,
    text: string,
    remotePort: number,
    isClosed: () => boolean,
  ): Promise<void> {
    let script: ReturnType<typeof parseProbeScript>;
    try {
      script = parseProbeScript(text);
    } catch (error) {
      return this.finish(channel, 2, `sh: ${(error as Error).message}\n`);
    }
    const faults = this.state.faults;
    const slow = faultOf(faults, 'slow');
    if (slow) await new Promise((resolve) => setTimeout(resolve, slow.ms));
    if (isClosed() || faultOf(faults, 'hang')) return;
    const parts = respond(script, this.state.model(), faults, {
      sudoGranted: this.shared.sudo,
      nowMs: this.shared.now(),
    });
    const disconnect = faultOf(faults, 'disconnect');
    if (disconnect) {
      const cut = Math.floor(partsLength(parts) * (disconnect.fraction ?? 0.5));
      await this.write(channel, parts, cut, isClosed);
      // The host dies mid-output: no exit status, no EOF, the TCP connection just ends.
      for (const socket of this.sockets) if (socket.remotePort === remotePort) socket.destroy();
      return;
    }
    await this.write(channel, parts, Number.POSITIVE_INFINITY, isClosed);
    if (!isClosed()) this.finish(channel, 0);
  }

  /** Writes at most `limit` bytes of the parts, waiting for the client to keep up. */
  private async write(
    channel: ServerChannel,
    parts: readonly Part[],
    limit: number,
    isClosed: () => boolean,
  ): Promise<void> {
    let left = limit;
    const send = async (chunk: Buffer) => {
      const piece = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= piece.length;
      this.shared.counters.bytesSent += piece.length;
      if (!channel.write(piece) && !isClosed()) {
        await new Promise<void>((resolve) => {
          const done = () => {
            channel.off('drain', done);
            channel.off('close', done);
            resolve();
          };
          channel.on('drain', done);
          channel.on('close', done);
        });
      }
    };
    for (const part of parts) {
      if (left <= 0 || isClosed()) return;
      if (Buffer.isBuffer(part)) {
        await send(part);
        continue;
      }
      // A repeated fill: built one chunk at a time, so 100 MB never sit in memory.
      const chunk = Buffer.alloc(Math.min(STREAM_CHUNK, part.bytes), part.fill);
      let remaining = part.bytes;
      while (remaining > 0 && left > 0 && !isClosed()) {
        const piece = remaining < chunk.length ? chunk.subarray(0, remaining) : chunk;
        remaining -= piece.length;
        await send(piece);
      }
    }
  }
}
