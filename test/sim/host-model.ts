// One simulated host: its identity, package database, services and counters, all derived from
// (fleet seed, index), and what each section of a probe prints on it right now.
import { renderCounters, renderUptime, withBootTime } from './counters.ts';
import { type PackageChange, PackageDb, type Row } from './package-db.ts';
import type { Distro, Profile, Recordings, TextAnswer } from './recordings.ts';
import { type Rng, rngFor } from './rng.ts';

export interface DriftReport {
  index: number;
  upgraded: PackageChange[];
  removed: PackageChange[];
  /** systemd: services now inactive/dead; sysv: init scripts whose start links were removed. */
  stoppedServices: string[];
  /** Simulated seconds added to the host's uptime (counters grow accordingly). */
  advancedSeconds: number;
}

/** Simulated time one drift step stands for. */
export const DRIFT_STEP_SECONDS = 3600;

const notFound = (): TextAnswer => ({ stdout: '', rc: 127, stderr: '' });
const ok = (stdout: string): TextAnswer => ({ stdout, rc: 0, stderr: '' });

function hex(rng: Rng, bytes: number): string {
  return rng.bytes(bytes).toString('hex');
}

function uuid(rng: Rng): string {
  const h = hex(rng, 16);
  const [a, b, c, d, e] = [
    h.slice(0, 8),
    h.slice(8, 12),
    h.slice(13, 16),
    h.slice(17, 20),
    h.slice(20),
  ];
  return `${a}-${b}-4${c}-a${d}-${e}`;
}

const ROLES = ['web', 'db', 'cache', 'app', 'batch', 'edge', 'build', 'mq'] as const;

interface Addressing {
  /** First three octets of the host's /24. */
  net: string;
  host: number;
  mac: string;
  linkLocal: string;
}

/** The host's IPv4 /24, MAC and the EUI-64 link-local address derived from that MAC. */
function addressing(index: number, rng: Rng): Addressing {
  const mac = [2, rng.int(1, 255), rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
  mac.push(rng.int(0, 255));
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = mac;
  const group = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return {
    net: `10.${(index >> 8) & 255}.${index & 255}`,
    host: rng.int(2, 250),
    mac: mac.map((b) => b.toString(16).padStart(2, '0')).join(':'),
    linkLocal: `fe80::${group(b0 ^ 2, b1)}:${group(b2, 0xff)}:${group(0xfe, b3)}:${group(b4, b5)}`,
  };
}

// What the recordings use: TEST-NET-1 192.0.2.0/24 (.1 gateway, .2 the host) on eth0.
const RECORDED_MAC = '02:fc:00:00:00:01';
const RECORDED_LINK_LOCAL = 'fe80::fc:ff:fe00:1';

export interface HostModelOptions {
  seed: string | number;
  index: number;
  distro: Distro;
  recordings: Recordings;
  /** Milliseconds, the fleet's clock when the host was created. */
  createdAt: number;
}

export class HostModel {
  readonly index: number;
  readonly distro: Distro;
  readonly hostname: string;
  readonly fqdn: string;
  readonly machineId: string;
  readonly bootId: string;
  readonly firewall: 'empty' | 'docker';
  readonly packages: PackageDb;
  private readonly profile: Profile;
  private readonly recordings: Recordings;
  private readonly seed: string | number;
  private readonly addressing: Addressing;
  /** Host uptime at creation, seconds. */
  private readonly bootAge: number;
  private readonly createdAt: number;
  /** Network and disk activity relative to the recorded machine. */
  private readonly activity: number;
  private readonly stopped = new Set<string>();
  private advanced = 0;
  private drifts = 0;

  constructor(options: HostModelOptions) {
    const { seed, index, distro, recordings } = options;
    const rng = rngFor(seed, index, 'host');
    this.index = index;
    this.distro = distro;
    this.seed = seed;
    this.recordings = recordings;
    this.profile = recordings.profiles[distro];
    this.createdAt = options.createdAt;
    this.hostname = `${rng.pick(ROLES)}-${String(index).padStart(5, '0')}`;
    this.fqdn = `${this.hostname}.fleet.sim.example`;
    this.machineId = hex(rng, 16);
    this.bootId = uuid(rng);
    this.addressing = addressing(index, rng);
    this.bootAge = rng.int(600, 90 * 86400);
    this.activity = 0.2 + rng.next() * 2.8;
    this.firewall = distro === 'debian-12' && rng.chance(0.25) ? 'docker' : 'empty';
    this.packages = new PackageDb(this.profile.packages.format, this.profile.packages.rows);
    // Hosts differ from the recorded machine: a few packages absent, a few others updated.
    const size = this.profile.packages.rows.length;
    this.packages.dropAtRandom(rng, rng.int(0, Math.ceil(size * 0.04)));
    this.packages.upgradeAtRandom(rng, rng.int(0, Math.ceil(size * 0.03)), options.createdAt);
  }

  /** Seconds since this host booted, at fleet time `nowMs`. */
  uptime(nowMs: number): number {
    return this.bootAge + (nowMs - this.createdAt) / 1000 + this.advanced;
  }

  /** What `sh -c '<command of section id>'` prints here, as root or as the login user. */
  answer(id: string, asRoot: boolean, nowMs: number): TextAnswer {
    return this.dynamic(id, asRoot, nowMs) ?? this.fixed(id) ?? notFound();
  }

  private fixed(id: string): TextAnswer | undefined {
    if (id.startsWith('firewall.') && this.firewall === 'docker') {
      return this.recordings.dockerFirewall.get(id);
    }
    return this.profile.fixed.get(id);
  }

  private dynamic(id: string, asRoot: boolean, nowMs: number): TextAnswer | undefined {
    const profile = this.profile;
    const metrics = this.recordings.metrics;
    const uptime = this.uptime(nowMs);
    // Gauges (load, free memory, df) move between the two recorded samples every minute.
    const sample = Math.floor(uptime / 60) % 2;
    switch (id) {
      case 'os.hostname':
        return ok(`${this.hostname}\n`);
      case 'os.fqdn':
        return ok(`${this.fqdn}\n`);
      case 'os.machine-id':
        return this.distro === 'alpine-3' ? undefined : ok(`${this.machineId}\n`);
      case 'os.boot-id':
        return ok(`${this.bootId}\n`);
      case 'os.uname':
        return profile.kernelFromPackages ? ok(`${this.runningKernel()} x86_64\n`) : undefined;
      case 'os.kernels':
        return profile.kernelFromPackages
          ? ok(
              this.kernels()
                .map((k) => `modules ${k}\nboot ${k}\n`)
                .join(''),
            )
          : undefined;
      case `packages.${profile.packages.format.manager}`:
        return ok(this.packages.render());
      case 'services.units':
      case 'services.unit-files':
      case 'services.init-scripts':
        return this.services(id);
      case 'users.authorized-keys':
        return profile.authorizedKeys?.[asRoot ? 'root' : 'user'];
      case 'network.addr':
        return ok(this.readdress(profile.network.addr));
      case 'network.route4':
        return ok(this.readdress(profile.network.route4));
      case 'network.route6':
        return ok(this.readdress(profile.network.route6));
      case 'listeners.ss':
        if (profile.ss === null) return undefined;
        // Without root, ss cannot see which process of another user owns a socket.
        return ok(asRoot ? profile.ss : profile.ss.replace(/users:\(\(.*\)\)/g, ''));
      case 'metrics.stat': {
        const clock = { uptime, recordedUptime: metrics.recordedUptime, factor: 1 };
        return ok(withBootTime(renderCounters(metrics.stat, clock), nowMs, uptime));
      }
      case 'metrics.netdev':
      case 'metrics.diskstats': {
        const clock = { uptime, recordedUptime: metrics.recordedUptime, factor: this.activity };
        const template = id === 'metrics.netdev' ? metrics.netdev : metrics.diskstats;
        return ok(renderCounters(template, clock));
      }
      case 'metrics.uptime':
        return ok(renderUptime(metrics.uptime, uptime));
      case 'metrics.loadavg':
        return ok(metrics.loadavg[sample] ?? '');
      case 'metrics.meminfo':
        return ok(metrics.meminfo[sample] ?? '');
      case 'metrics.blockdevs':
        return ok(metrics.blockdevs);
      case 'metrics.df':
        return ok(profile.df[sample] ?? '');
      case 'metrics.dfinodes':
        return ok(profile.dfInodes[sample] ?? '');
      default:
        return undefined;
    }
  }

  /** Installed kernels as `uname -r` prints them. */
  private kernels(rows: readonly Row[] = this.packages.rows()): string[] {
    return rows.filter((row) => row[0] === 'kernel').map((row) => `${row[2]}-${row[3]}.${row[4]}`);
  }

  /** The kernel the host booted: the recorded one, even if its package was removed since. */
  private runningKernel(): string {
    return this.kernels(this.profile.packages.rows)[0] ?? 'unknown';
  }

  private services(id: string): TextAnswer | undefined {
    const services = this.profile.services;
    if (services === null) return undefined;
    if (services.kind === 'sysv') {
      if (id !== 'services.init-scripts') return this.profile.fixed.get(id);
      const lines = services.scripts.map(
        ([name, state]) => `${name} ${this.stopped.has(name) ? 'disabled' : state}\n`,
      );
      return ok(`${services.flavour}\n${lines.join('')}`);
    }
    if (id === 'services.init-scripts') return this.profile.fixed.get(id);
    if (id === 'services.unit-files') return ok(services.unitFiles);
    const rows = services.units.map((row) => {
      const name = row.split(/\s/, 1)[0] ?? '';
      return this.stopped.has(name)
        ? row.replace(/ active(\s+)running /, ' inactive$1dead    ')
        : row;
    });
    return ok(rows.map((row) => `${row}\n`).join(''));
  }

  private readdress(text: string): string {
    const { net, host, mac, linkLocal } = this.addressing;
    const octet: Record<string, string> = { '0': '0', '1': '1', '2': String(host), '255': '255' };
    return text
      .replace(/192\.0\.2\.(\d+)/g, (_m, last: string) => `${net}.${octet[last] ?? last}`)
      .replaceAll(RECORDED_MAC, mac)
      .replaceAll(RECORDED_LINK_LOCAL, linkLocal);
  }

  /** Time passes on the host: packages are upgraded and removed, a service stops. */
  drift(steps: number, nowMs: number): DriftReport {
    const report: DriftReport = {
      index: this.index,
      upgraded: [],
      removed: [],
      stoppedServices: [],
      advancedSeconds: steps * DRIFT_STEP_SECONDS,
    };
    for (let step = 0; step < steps; step++) {
      const rng = rngFor(this.seed, this.index, 'drift', this.drifts++);
      const at = nowMs + (this.advanced + DRIFT_STEP_SECONDS) * 1000;
      report.upgraded.push(...this.packages.upgradeAtRandom(rng, rng.int(1, 4), at));
      if (rng.chance(0.5)) report.removed.push(...this.packages.removeAtRandom(rng, 1));
      const running = this.runningServices().filter((name) => !this.stopped.has(name));
      if (running.length > 0 && rng.chance(0.3)) {
        const name = rng.pick(running);
        this.stopped.add(name);
        report.stoppedServices.push(name);
      }
      this.advanced += DRIFT_STEP_SECONDS;
    }
    // A package upgraded then removed in the same drift is reported once, as removed.
    const removed = new Set(report.removed.map((c) => c.name));
    report.upgraded = report.upgraded.filter((c) => !removed.has(c.name));
    return report;
  }

  private runningServices(): string[] {
    const services = this.profile.services;
    if (services === null) return [];
    if (services.kind === 'sysv') {
      return services.scripts.filter(([, state]) => state === 'enabled').map(([name]) => name);
    }
    return services.units
      .filter((row) => / active\s+running /.test(row))
      .map((row) => row.split(/\s/, 1)[0] ?? '');
  }
}
