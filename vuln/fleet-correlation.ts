// The whole fleet correlated now, in bounded memory: for every advisory the hosts it affects
// (and those only through installed-but-not-running kernels), and per severity the distinct
// hosts affected — what GET /v1/fleet/vulnerabilities answers.
//
// It reads the vulnerability index (fleet-index.ts), never the package facts: each host is a
// list of package-version ids. Per class of hosts (same ecosystems, scheme and naming), each
// package version is matched once against the advisories' entries for its name (vuln/match.ts,
// exact), and the result — the advisories it is affected by — is reused for every host that
// has it. Hosts stream through in chunks; what stays in memory is the entries, the versions
// they name, and a few counters per advisory.
import type { Severity } from '../sql/advisories.ts';
import { severities } from '../sql/advisories.ts';
import type { Sql } from '../sql/client.ts';
import {
  forEachIndexedHost,
  type IndexedHost,
  indexedEcosystems,
  maxPackageVersionId,
  type PackageVersionRow,
  packageVersionsNamed,
  type Queries,
} from '../sql/vuln-index.ts';
import { type AdvisoryEntry, advisoryEntries } from '../sql/vulnerabilities.ts';
import { packageKernelRelease, versionAffected } from './correlate.ts';
import { refreshVulnIndex } from './fleet-index.ts';
import type { VersionScheme } from './version-scheme.ts';

export interface AdvisoryCount {
  advisoryId: string;
  severity: Severity;
  /** Hosts affected through at least one package other than a not-running kernel. */
  hosts: number;
  /** Hosts whose only affected packages are kernels installed but not running. */
  notRunningKernelOnlyHosts: number;
}

export interface FleetCounts {
  /** Every advisory affecting at least one host, in no particular order. */
  advisories: AdvisoryCount[];
  /** Distinct hosts with an advisory of the severity (not-running kernels apart). */
  hostsBySeverity: Record<Severity, number>;
  /** Hosts correlated (those with OSV data for their release). */
  hosts: number;
}

const HOST_CHUNK = 500;

/** What one package version on a class of hosts is affected by. */
interface VersionMatch {
  /** Dense advisory numbers. */
  advisories: Int32Array;
  /** The kernel release it installs, or null when it is not a kernel. */
  kernelRelease: string | null;
}

interface Entry extends AdvisoryEntry {
  number: number;
  /** Verdicts by "scheme NUL version". */
  verdicts: Map<string, boolean>;
}

/** Hosts alike for matching: what each package version matches depends on nothing else. */
interface HostClass {
  scheme: VersionScheme;
  namesSource: boolean;
  ecosystems: readonly string[];
  /** By package-version id (dense integers): an array, as it is read 15M times a fleet. */
  versions: (VersionMatch | null | undefined)[];
}

export async function fleetVulnerabilityCounts(sql: Sql): Promise<FleetCounts> {
  await refreshVulnIndex(sql);
  // One snapshot: host lists never name a package version the dictionary read missed.
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    await tx`set local jit = off`;
    return correlateIndex(tx);
  }) as Promise<FleetCounts>;
}

async function correlateIndex(sql: Queries): Promise<FleetCounts> {
  const ecosystems = await indexedEcosystems(sql);
  const numbers = new Map<string, number>();
  const entries: Entry[] = (await advisoryEntries(sql, { ecosystems })).map((e) => {
    let number = numbers.get(e.advisoryId);
    if (number === undefined) {
      number = numbers.size;
      numbers.set(e.advisoryId, number);
    }
    return { ...e, number, verdicts: new Map() };
  });
  const ids = [...numbers.keys()];
  const severityOf = new Int8Array(ids.length);
  for (const e of entries) severityOf[e.number] = severities.indexOf(e.severity);
  const byName = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = `${e.ecosystem}\u0000${e.name}`;
    const list = byName.get(key) ?? [];
    byName.set(key, list);
    list.push(e);
  }
  const versions = new Map<number, PackageVersionRow>();
  const names = [...new Set(entries.map((e) => e.name))];
  for (const v of await packageVersionsNamed(sql, names)) versions.set(v.id, v);

  const matchOf = (cls: HostClass, id: number): VersionMatch | null => {
    const v = versions.get(id);
    const name = v && (cls.namesSource ? v.sourceName : v.name);
    if (!v || !name) return null;
    const version = cls.namesSource ? (v.sourceVersion ?? v.evr) : v.evr;
    const found: number[] = [];
    for (const ecosystem of cls.ecosystems) {
      for (const entry of byName.get(`${ecosystem}\u0000${name}`) ?? []) {
        if (found.includes(entry.number)) continue;
        const key = `${cls.scheme}\u0000${version}`;
        let verdict = entry.verdicts.get(key);
        if (verdict === undefined) {
          verdict = versionAffected(cls.scheme, version, entry.affected);
          entry.verdicts.set(key, verdict);
        }
        if (verdict) found.push(entry.number);
      }
    }
    if (found.length === 0) return null;
    return {
      advisories: Int32Array.from(found),
      kernelRelease: packageKernelRelease(cls.scheme, v),
    };
  };

  const tally = new FleetTally(ids.length, severityOf);
  const classes = new Map<string, HostClass>();
  const slots = (await maxPackageVersionId(sql)) + 1;
  await forEachIndexedHost(sql, HOST_CHUNK, (hosts) => {
    for (const host of hosts) {
      const cls = classOf(classes, host, slots);
      tally.host(host, cls.versions, (id) => matchOf(cls, id));
    }
  });
  return tally.result(ids);
}

function classOf(classes: Map<string, HostClass>, host: IndexedHost, slots: number): HostClass {
  const key = [host.scheme, host.namesSource, ...host.ecosystems].join('\u0000');
  let cls = classes.get(key);
  if (!cls) {
    cls = {
      scheme: host.scheme as VersionScheme,
      namesSource: host.namesSource,
      ecosystems: host.ecosystems,
      // Sized up front: an array written at scattered indexes would turn into a dictionary.
      versions: new Array<VersionMatch | null | undefined>(slots).fill(undefined),
    };
    classes.set(key, cls);
  }
  return cls;
}

/**
 * Per-advisory and per-severity host counts. A host's advisories are deduplicated with stamps
 * (the host's number in arrays indexed by advisory) instead of a set per host.
 */
class FleetTally {
  private readonly hosts: Int32Array;
  private readonly kernelOnly: Int32Array;
  private readonly seen: Int32Array;
  private readonly exposed: Int32Array;
  private readonly bySeverity = new Int32Array(severities.length);
  private readonly touched: number[] = [];
  private count = 0;

  constructor(
    advisories: number,
    private readonly severityOf: Int8Array,
  ) {
    this.hosts = new Int32Array(advisories);
    this.kernelOnly = new Int32Array(advisories);
    this.seen = new Int32Array(advisories);
    this.exposed = new Int32Array(advisories);
  }

  /**
   * Counts one host. `versions[id]` is what the package version `id` matches on hosts of the
   * host's class (undefined: not computed yet, then `compute` is asked). The hot loop of a
   * correlation: ~1,500 ids per host, hence plain indexed loops.
   */
  host(
    host: IndexedHost,
    versions: (VersionMatch | null | undefined)[],
    compute: (id: number) => VersionMatch | null,
  ) {
    const stamp = ++this.count;
    const { seen, exposed, touched } = this;
    touched.length = 0;
    const ids = host.packageVersions;
    const view = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    for (let at = 0; at + 4 <= ids.byteLength; at += 4) {
      const id = view.getInt32(at);
      let match = versions[id];
      if (match === undefined) {
        match = compute(id);
        versions[id] = match;
      }
      if (match === null) continue;
      const exposes = match.kernelRelease === null || match.kernelRelease === host.kernelRelease;
      const advisories = match.advisories;
      for (let i = 0; i < advisories.length; i++) {
        const a = advisories[i] as number;
        if (seen[a] !== stamp) {
          seen[a] = stamp;
          touched.push(a);
        }
        if (exposes) exposed[a] = stamp;
      }
    }
    let severitiesSeen = 0;
    for (let i = 0; i < touched.length; i++) {
      const a = touched[i] as number;
      if (exposed[a] === stamp) {
        this.hosts[a] = (this.hosts[a] ?? 0) + 1;
        severitiesSeen |= 1 << (this.severityOf[a] ?? 0);
      } else {
        this.kernelOnly[a] = (this.kernelOnly[a] ?? 0) + 1;
      }
    }
    for (let s = 0; s < severities.length; s++) {
      if (severitiesSeen & (1 << s)) this.bySeverity[s] = (this.bySeverity[s] ?? 0) + 1;
    }
  }

  result(ids: readonly string[]): FleetCounts {
    const advisories: AdvisoryCount[] = [];
    ids.forEach((advisoryId, a) => {
      const hosts = this.hosts[a] ?? 0;
      const notRunningKernelOnlyHosts = this.kernelOnly[a] ?? 0;
      if (hosts + notRunningKernelOnlyHosts === 0) return;
      const severity = severities[this.severityOf[a] ?? 0] ?? 'unknown';
      advisories.push({ advisoryId, severity, hosts, notRunningKernelOnlyHosts });
    });
    const hostsBySeverity = Object.fromEntries(
      severities.map((s, i) => [s, this.bySeverity[i] ?? 0]),
    ) as Record<Severity, number>;
    return { advisories, hostsBySeverity, hosts: this.count };
  }
}
