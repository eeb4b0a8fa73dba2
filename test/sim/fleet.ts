// A fleet of simulated SSH hosts on loopback, in this process: one TCP port per host, each
// with its own ed25519 host key, answering hostintel's probe script from real recordings
// with per-host variation, drift over time and injectable faults. See test/sim/README.md.
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import type { Fault } from './faults.ts';
import { type DriftReport, HostModel } from './host-model.ts';
import { ed25519FromSeed } from './keys.ts';
import { type Distro, distros, loadRecordings, type Recordings } from './recordings.ts';
import { rngFor, seedBytes } from './rng.ts';
import { type FleetCounters, type HostState, SshHost } from './ssh-host.ts';

export type { Fault } from './faults.ts';
export type { DriftReport } from './host-model.ts';
export type { Distro } from './recordings.ts';

export interface FleetOptions {
  hosts: number;
  /**
   * The index of this fleet's first host (default 0): a fleet split over several processes
   * with one seed and base port, host i is the same host (name, keys, port, model) whatever
   * the split. Methods taking an index take this global one.
   */
  firstIndex?: number;
  /** Everything random about the fleet (keys included) derives from it. */
  seed: number | string;
  /** Loopback address of every host (default 127.0.0.1)… */
  address?: string;
  /** …or several, used in turn (host i gets addresses[i % n]): more than ~28k ports. */
  addresses?: readonly string[];
  /** Host i listens on basePort + i; default: ports the kernel picks. */
  basePort?: number;
  /** The one user every host accepts (default hiprobe). */
  username?: string;
  /**
   * The key the user logs in with: its public half (`ssh-ed25519 AAAA…`, any type ssh2 reads)
   * and, if known, its private half for SimHost.privateKey. Default: a key pair from the seed.
   */
  clientKey?: { publicKey: string; privateKey?: string };
  /** Also accept this password. */
  password?: string;
  /** Whether the user may `sudo -n` (default true). */
  sudo?: boolean;
  /** Relative weights of the distributions (default 80 % Debian 12, 15 % CentOS 7, 5 % Alpine). */
  distros?: Partial<Record<Distro, number>>;
  faults?: Readonly<Record<number, Fault | readonly Fault[]>>;
  /** The fleet's clock in milliseconds (default: monotonic wall clock). */
  clock?: () => number;
}

export interface SimHost {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly username: string;
  /** The key the host presents normally, `ssh-ed25519 AAAA…` (changes with rotateHostKey). */
  readonly hostKey: string;
  /** The user's private key (OpenSSH format), the same for every host; null if not given. */
  readonly privateKey: string | null;
  readonly distro: Distro;
}

export interface FleetStats extends FleetCounters {
  /** TCP connections open right now. */
  openConnections: number;
  /** Hosts whose model (packages, counters…) has been built: probed, drifted or inspected. */
  materializedHosts: number;
}

export interface Fleet {
  readonly hosts: readonly SimHost[];
  /** Replaces the host's faults (null or [] clears them); lifting a hang drops its connections. */
  setFault(index: number, fault: Fault | readonly Fault[] | null): void;
  /** A new host key for good (a reinstall); returns it. */
  rotateHostKey(index: number): string;
  /** Time passes on one host or all: packages upgraded/removed, counters grow, a service stops. */
  drift(target: number | 'all', steps?: number): DriftReport[];
  /** The host's model: identity, package database, and what it answers (for assertions). */
  model(index: number): HostModel;
  /** The fleet clock (ms) that answers are computed at. */
  now(): number;
  stats(): FleetStats;
  stop(): Promise<void>;
}

const DEFAULT_WEIGHTS: Record<Distro, number> = { 'debian-12': 80, 'centos-7': 15, 'alpine-3': 5 };

function pickDistro(weights: Record<Distro, number>, seed: number | string, index: number) {
  const total = distros.reduce((sum, d) => sum + weights[d], 0);
  let roll = rngFor(seed, index, 'distro').next() * total;
  for (const distro of distros) {
    roll -= weights[distro];
    if (roll < 0) return distro;
  }
  return 'debian-12';
}

const asList = (fault: Fault | readonly Fault[] | null | undefined): Fault[] =>
  fault == null ? [] : Array.isArray(fault) ? [...fault] : [fault as Fault];

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { seed } = options;
  const first = options.firstIndex ?? 0;
  const addresses = options.addresses ?? [options.address ?? '127.0.0.1'];
  const username = options.username ?? 'hiprobe';
  const clientKey: { publicKey: string; privateKey?: string } =
    options.clientKey ?? ed25519FromSeed(seedBytes(seed, 'client-key'));
  const parsedClientKey = ssh2.utils.parseKey(clientKey.publicKey);
  if (parsedClientKey instanceof Error) throw parsedClientKey;
  const weights = { ...DEFAULT_WEIGHTS, ...options.distros };
  const origin = performance.now();
  const wallOrigin = Date.now();
  const now = options.clock ?? (() => wallOrigin + (performance.now() - origin));
  const createdAt = now();
  const counters: FleetCounters = {
    connections: 0,
    authFailures: 0,
    execs: 0,
    bytesSent: 0,
    errors: 0,
  };
  const shared = {
    username,
    clientKey: parsedClientKey,
    password: options.password,
    sudo: options.sudo ?? true,
    now,
    counters,
  };
  // Loaded on first use: a fleet that is never probed reads no fixture.
  let recordings: Recordings | undefined;
  const models = new Map<number, HostModel>();
  const keyGenerations = new Map<number, number>();
  const hostKeyOf = (index: number, generation: number) =>
    ed25519FromSeed(seedBytes(seed, index, 'host-key', generation));

  const hosts: { -readonly [K in keyof SimHost]: SimHost[K] }[] = [];
  const servers: SshHost[] = [];
  for (let index = first; index < first + options.hosts; index++) {
    const distro = pickDistro(weights, seed, index);
    const model = () => {
      let found = models.get(index);
      if (!found) {
        recordings ??= loadRecordings();
        found = new HostModel({ seed, index, distro, recordings, createdAt });
        models.set(index, found);
      }
      return found;
    };
    const state: HostState = {
      index,
      address: addresses[index % addresses.length] ?? '127.0.0.1',
      faults: asList(options.faults?.[index]),
      key: hostKeyOf(index, 0),
      impostorKey: () => hostKeyOf(index, -1),
      model,
    };
    servers.push(new SshHost(state, shared));
    hosts.push({
      index,
      name: `sim-${String(index).padStart(5, '0')}`,
      address: state.address,
      port: 0,
      username,
      hostKey: state.key.publicKey,
      privateKey: clientKey.privateKey ?? null,
      distro,
    });
  }

  const stopAll = () => Promise.all(servers.map((s) => s.close()));
  try {
    // In batches: thousands of listen() calls at once gain nothing.
    for (let start = 0; start < servers.length; start += 256) {
      const batch = servers.slice(start, start + 256);
      const ports = await Promise.all(
        batch.map((s) =>
          s.listen(options.basePort === undefined ? 0 : options.basePort + s.state.index),
        ),
      );
      ports.forEach((port, k) => {
        const host = hosts[start + k];
        if (host) host.port = port;
      });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const serverOf = (index: number): SshHost => {
    const server = servers[index - first];
    if (!server) throw new RangeError(`no simulated host ${index}`);
    return server;
  };

  return {
    hosts,
    setFault(index, fault) {
      const server = serverOf(index);
      const wasHanging = server.state.faults.some((f) => f.type === 'hang');
      server.state.faults = asList(fault);
      if (wasHanging && !server.state.faults.some((f) => f.type === 'hang')) {
        server.dropConnections();
      }
    },
    rotateHostKey(index) {
      const server = serverOf(index);
      const generation = (keyGenerations.get(index) ?? 0) + 1;
      keyGenerations.set(index, generation);
      server.state.key = hostKeyOf(index, generation);
      server.forgetKeys();
      const host = hosts[index - first];
      if (host) host.hostKey = server.state.key.publicKey;
      return server.state.key.publicKey;
    },
    drift(target, steps = 1) {
      const indexes = target === 'all' ? servers.map((s) => s.state.index) : [target];
      return indexes.map((i) => serverOf(i).state.model().drift(steps, now()));
    },
    model: (index) => serverOf(index).state.model(),
    now,
    stats: () => ({
      ...counters,
      openConnections: servers.reduce((sum, s) => sum + s.openSockets, 0),
      materializedHosts: models.size,
    }),
    stop: async () => {
      await stopAll();
    },
  };
}
