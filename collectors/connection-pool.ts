// Keeps a probe's SSH connection open for the host's next probe. At 10,000 hosts probed for
// metrics every minute a runner starts ~167 probes a second, and a new connection is the
// largest single part of a metrics probe's runner CPU (key exchange, host-key verification
// and the client signature, all through OpenSSL one-shots that re-read PEM keys). Measured by
// bench:scale (10,000 simulated hosts, steady state, same machine and run settings): 4.9 ms of
// runner CPU per metrics probe with a new connection each, 3.3 ms on kept connections (81 %
// vs 56 % of one core). A reused connection still runs exactly one exec channel per probe.
//
// What it trades: ~50 KiB of runner RSS per open connection (V8 heap and OpenSSL/socket
// memory: 1,040 vs 551 MB peak at 10,000 hosts in the same measurement) and an sshd session
// per host between probes. `maxOpen` bounds both: beyond it a finished probe's connection is
// closed, not pooled — a fixed set of hosts keeps its connections (cyclic access makes LRU
// eviction useless: every probe would miss), so the CPU saved grows linearly with maxOpen.
// `idleMs` should exceed the metrics interval plus its jitter (66 s by default), or no
// connection survives until its host's next probe. The runner uses it for metrics probes when
// RunnerOptions.sshPool is set (off by default).
//
// Only connections whose probe ended cleanly are pooled: after an abort, a timeout, an output
// limit or any error the connection's state is unknown and it is closed. A pooled connection
// found dead when a probe tries to open its channel is replaced by a fresh one, once.
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { ConnectionSource } from './probe.ts';
import { connect, type SshConnection, type SshTarget, TransportError } from './transport.ts';

export interface ConnectionPoolOptions {
  /** Open connections kept at most (idle and in use); beyond, connections are not pooled. */
  maxOpen: number;
  /** An idle connection is closed after this long. */
  idleMs: number;
  /** The transport's connect (tests pass a fake). */
  connect?: typeof connect;
}

export interface ConnectionPoolStats {
  /** Connections open now that the pool knows of: idle plus in use. */
  open: number;
  idle: number;
  /** Probes that ran on a pooled connection. */
  reused: number;
  /** New connections made. */
  connected: number;
  /** Pooled connections found dead at reuse and replaced. */
  stale: number;
}

interface Idle {
  connection: SshConnection;
  timer: NodeJS.Timeout;
  forget: () => void;
}

/** The pool key of a target: everything that decides whom the connection talks to, hashed. */
export function targetKey(hostId: string, target: SshTarget): string {
  const hash = createHash('sha256');
  const add = (t: SshTarget) => {
    const { auth } = t;
    const secret =
      auth.type === 'privateKey'
        ? `${auth.privateKey.toString()}\0${auth.passphrase ?? ''}`
        : auth.type === 'password'
          ? auth.password
          : (auth.socket ?? '');
    const fields = [t.address, t.port, t.username, auth.type, secret, t.hostKeyPolicy];
    hash.update(JSON.stringify([...fields, t.knownHostKey]));
    if (t.jump) add(t.jump);
  };
  add(target);
  return `${hostId}:${hash.digest('base64url')}`;
}

export class SshConnectionPool {
  readonly #options: Required<ConnectionPoolOptions>;
  readonly #idle = new Map<string, Idle>();
  #inUse = 0;
  #closed = false;
  readonly #stats = { reused: 0, connected: 0, stale: 0 };

  constructor(options: ConnectionPoolOptions) {
    this.#options = { connect, ...options };
  }

  stats(): ConnectionPoolStats {
    return {
      open: this.#idle.size + this.#inUse,
      idle: this.#idle.size,
      ...this.#stats,
    };
  }

  /**
   * Runs `work` (one probe's exec) on a connection to `target`: the host's pooled one when it
   * has one, else a new one. The connection goes back to the pool only if `work` resolved;
   * otherwise it is closed. `key` should come from targetKey(), so a changed address,
   * credential or pinned host key never reuses the old connection.
   */
  async run<T>(
    key: string,
    target: SshTarget,
    options: { connectTimeoutMs: number; signal: AbortSignal },
    work: (connection: SshConnection) => Promise<T>,
  ): Promise<T> {
    const pooled = this.#take(key);
    if (pooled) {
      this.#stats.reused++;
      try {
        return await this.#use(key, pooled, work);
      } catch (error) {
        // Dead while idle (host rebooted, sshd restarted, idle timeout on its side): nothing
        // ran, so a new connection may try again. Any other failure is the probe's.
        if (!(isChannelRefused(error) && !options.signal.aborted)) throw error;
        this.#stats.stale++;
      }
    }
    const connection = await this.#options.connect(target, options);
    this.#stats.connected++;
    return this.#use(key, connection, work);
  }

  /** probe()'s `connection` option for one host: its probes run through this pool. */
  source(hostId: string): ConnectionSource {
    return (target, options, work) => this.run(targetKey(hostId, target), target, options, work);
  }

  /** Closes every idle connection; in-use ones are closed when their probe ends. */
  close(): void {
    this.#closed = true;
    for (const [key, idle] of this.#idle) this.#drop(key, idle);
  }

  async #use<T>(
    key: string,
    connection: SshConnection,
    work: (connection: SshConnection) => Promise<T>,
  ): Promise<T> {
    this.#inUse++;
    let result: T;
    try {
      result = await work(connection);
    } catch (error) {
      this.#inUse--;
      connection.close();
      throw error;
    }
    this.#inUse--;
    this.#park(key, connection);
    return result;
  }

  #take(key: string): SshConnection | undefined {
    const idle = this.#idle.get(key);
    if (!idle) return undefined;
    this.#idle.delete(key);
    clearTimeout(idle.timer);
    idle.forget();
    return idle.connection;
  }

  #park(key: string, connection: SshConnection): void {
    const full = this.#idle.size + this.#inUse >= this.#options.maxOpen;
    if (this.#closed || full || this.#idle.has(key)) {
      connection.close();
      return;
    }
    const timer = setTimeout(() => this.#dropIfCurrent(key, connection), this.#options.idleMs);
    timer.unref();
    // A connection the server ends while idle leaves the pool at once.
    const client = (connection as { client?: EventEmitter }).client;
    const onClose = () => this.#dropIfCurrent(key, connection);
    client?.once('close', onClose);
    const forget = () => client?.off('close', onClose);
    this.#idle.set(key, { connection, timer, forget });
  }

  #dropIfCurrent(key: string, connection: SshConnection): void {
    const idle = this.#idle.get(key);
    if (idle?.connection === connection) this.#drop(key, idle);
  }

  #drop(key: string, idle: Idle): void {
    this.#idle.delete(key);
    clearTimeout(idle.timer);
    idle.forget();
    idle.connection.close();
  }
}

/** The transport could not open an exec channel: the connection was unusable, nothing ran. */
function isChannelRefused(error: unknown): boolean {
  if (error instanceof TransportError) return /^cannot open a channel/.test(error.message);
  // ssh2 throws this from exec() once its socket has closed.
  return error instanceof Error && error.message === 'Not connected';
}
