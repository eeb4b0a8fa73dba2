// Realistic probe results for the storage tests and benchmark, built by running the
// collectors' own parsers over recorded outputs (test/fixtures and ../shared/fixtures).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CollectorError } from '../../collectors/errors.ts';
import { metricsCollector } from '../../collectors/metrics.ts';
import { osCollector } from '../../collectors/os.ts';
import { type PackageFact, packageFacts, packagesCollector } from '../../collectors/packages.ts';
import { parseApkInstalled } from '../../collectors/packages-apk.ts';
import { parseDpkgQuery } from '../../collectors/packages-dpkg.ts';
import { parsePacmanDesc } from '../../collectors/packages-pacman.ts';
import { parseRpmQuery } from '../../collectors/packages-rpm.ts';
import type { CollectorResult, ProbeResult } from '../../collectors/probe.ts';
import type { Sample } from '../../collectors/rates.ts';
import { sectionsOf } from '../../collectors/section.ts';
import { servicesCollector } from '../../collectors/services.ts';
import type { Collector, Fact, RawMetrics, Section } from '../../collectors/types.ts';
import type { Sql } from '../../sql/client.ts';
import { usersCollector } from '../../collectors/users.ts';

const own = path.resolve(import.meta.dirname, '../fixtures');
const shared = path.resolve(import.meta.dirname, '../../../shared/fixtures');
export const ownFile = (name: string): string => readFileSync(path.join(own, name), 'utf8');
export const sharedFile = (name: string): string => readFileSync(path.join(shared, name), 'utf8');

/** Every section of a collector as recorded on one host: `<dir>/<prefix>__<what>.txt`. */
export function recordedSections(collector: Collector, dir: string, prefix: string) {
  const exits = JSON.parse(ownFile(`${dir}/${prefix}__exit-codes.json`)) as Record<
    string,
    { exitCode: number; stderrTail: string }
  >;
  const outputs: Record<string, Partial<Section>> = {};
  for (const { id } of collector.commands) {
    const what = id.slice(id.indexOf('.') + 1);
    outputs[id] = {
      stdout: ownFile(`${dir}/${prefix}__${what}.txt`),
      exitCode: exits[id]?.exitCode ?? 0,
      stderrTail: exits[id]?.stderrTail ?? '',
    };
  }
  return sectionsOf(outputs);
}

/** What collectors/probe.ts records for one collector: its facts, or why it has none. */
export function runCollector(collector: Collector, sections: ReturnType<typeof sectionsOf>) {
  try {
    const output = collector.parse(sections);
    return { status: 'ok', durationMs: 3, facts: output.facts ?? [] } satisfies CollectorResult;
  } catch (error) {
    const status = error instanceof CollectorError ? error.status : 'failed';
    return { status, durationMs: 3, error: String(error) } satisfies CollectorResult;
  }
}

/** The recorded Debian 12 host: os, services and users as the collectors parse them. */
export function debian12Collectors(): Record<string, CollectorResult> {
  return {
    os: runCollector(osCollector, recordedSections(osCollector, 'os', 'debian-12')),
    services: runCollector(
      servicesCollector,
      recordedSections(servicesCollector, 'services', 'debian-12'),
    ),
    users: runCollector(usersCollector, recordedSections(usersCollector, 'users', 'debian-12')),
  };
}

/** The Debian 12 host's own 850 packages, through the packages collector. */
export function debian12Packages(): Fact<PackageFact>[] {
  const sections = recordedSections(packagesCollector, 'packages', 'debian-12');
  return (packagesCollector.parse(sections).facts ?? []) as Fact<PackageFact>[];
}

/**
 * `dpkg -l` rows as dpkg-query lines (the format the dpkg parser reads): dpkg -l shows the
 * same status, name, version and architecture; it has no source columns.
 */
function dpkgListToQuery(listing: string): string {
  const lines: string[] = [];
  for (const row of listing.split('\n')) {
    const [status, nameArch, version, arch] = row.trim().split(/\s+/);
    if (!status || !/^[a-z][a-z]$/.test(status) || !nameArch || !version || !arch) continue;
    const name = nameArch.split(':')[0] ?? nameArch;
    lines.push(`${name}\t${arch}\t${version}\t\t\t${status} `);
  }
  return lines.join('\n');
}

/**
 * /var/lib/dpkg/status stanzas as dpkg-query lines: dpkg-query reads exactly these fields
 * (Source: "name (version)" or just the name; absent means the package's own).
 */
export function dpkgStatusToQuery(status: string): string {
  const abbrev: Record<string, string> = { installed: 'ii ', 'config-files': 'rc ' };
  return status
    .split(/\n\s*\n/)
    .flatMap((stanza) => {
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1];
      const name = field('Package');
      const version = field('Version');
      if (!name || !version) return [];
      const [, sourceName = name, sourceVersion = version] =
        /^(\S+)(?: \((.+)\))?$/.exec(field('Source') ?? name) ?? [];
      const state = abbrev[field('Status')?.split(' ')[2] ?? ''] ?? 'ii ';
      return [[name, field('Architecture'), version, sourceName, sourceVersion, state].join('\t')];
    })
    .join('\n');
}

/** `rpm -qai` records as lines of the rpm collector's query format. */
function rpmInfoToQuery(info: string): string {
  const lines: string[] = [];
  let record = new Map<string, string>();
  const flush = () => {
    const get = (field: string) => record.get(field) ?? '(none)';
    if (record.has('Name')) {
      lines.push(
        [
          get('Name'),
          get('Epoch'),
          get('Version'),
          get('Release'),
          get('Architecture'),
          get('Source RPM'),
          get('Vendor'),
          '(none)',
        ].join('\t'),
      );
    }
    record = new Map();
  };
  for (const line of info.split('\n')) {
    const match = /^([A-Za-z][A-Za-z ]*?)\s*: (.*)$/.exec(line);
    if (!match?.[1]) continue;
    if (match[1] === 'Name') flush();
    if (!record.has(match[1])) record.set(match[1], match[2] ?? '');
  }
  flush();
  return lines.join('\n');
}

/**
 * Real package records from several recordings (Debian 12, Ubuntu 18.04, CentOS 7.7, Rocky 9
 * style rpm, Alpine, Arch): about 1,700 distinct facts, the pool a 1,500-package host is
 * drawn from. Keys follow the collector (name:arch, or name:arch:evr when one name and arch
 * is there in several versions).
 */
export function packagePool(): Fact<PackageFact>[] {
  const packages: PackageFact[] = [
    ...debian12Packages().map((f) => f.value),
    ...parseDpkgQuery(
      dpkgListToQuery(sharedFile('packages/ubuntu-18.04__jc_dpkg-l-columns500.txt')),
    ),
    ...parseRpmQuery(rpmInfoToQuery(sharedFile('packages/centos-7.7__jc_rpm-qai.txt'))),
    ...parseRpmQuery(ownFile('packages/rpm-4.18-crafted__rpm.txt')),
    ...parseApkInstalled(ownFile('packages/alpine-scalibr__apk.txt')),
    ...parsePacmanDesc(ownFile('packages/arch-scalibr__pacman.txt')),
  ];
  return packageFacts(packages);
}

/** `count` facts of the pool starting at `offset` (wrapping), in key order. */
export function hostPackages(pool: readonly Fact<PackageFact>[], count: number, offset = 0) {
  const out: Fact<PackageFact>[] = [];
  for (let i = 0; i < count; i++) {
    const fact = pool[(offset + i) % pool.length];
    if (fact) out.push(fact);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The package after a routine update, re-parsed by its own manager's parser: Debian's
 * revision gets a suffix (an rpm its release), so the derived fields stay consistent. For
 * packages whose key holds the version (rpm kernels) an update is a removal plus an addition,
 * so pick others.
 */
export function upgraded(fact: Fact<PackageFact>, n = 1): Fact<PackageFact> {
  const p = fact.value;
  let next: PackageFact | undefined;
  if (p.manager === 'dpkg') {
    const evr = `${p.evr}+hi${n}`;
    const source = p.source ? `${p.source.name}\t${p.source.version}+hi${n}` : '\t';
    next = parseDpkgQuery(`${p.name}\t${p.arch}\t${evr}\t${source}\tii \n`)[0];
  } else if (p.manager === 'rpm') {
    const release = `${p.release}.hi${n}`;
    const src = p.source ? `${p.source.name}-${p.version}-${release}.src.rpm` : '(none)';
    const vendor = p.vendor ?? '(none)';
    const line = [p.name, p.epoch ?? '(none)', p.version, release, p.arch, src, vendor, '(none)'];
    next = parseRpmQuery(`${line.join('\t')}\n`)[0];
  } else {
    next = { ...p, release: `${p.release ?? ''}hi${n}`, evr: `${p.evr}-hi${n}` };
  }
  if (!next) throw new Error(`could not upgrade ${fact.key}`);
  return { ...fact, value: next };
}

export interface ProbeSpec {
  at: Date;
  packages?: readonly Fact[];
  /** Collectors to report as failed (or another status) instead of their facts. */
  failed?: Record<string, CollectorResult['status']>;
  others?: Record<string, CollectorResult>;
}

/** A facts probe of one host finishing at `at`, taking 1.2 s. */
export function factsProbe(spec: ProbeSpec): ProbeResult {
  const collectors: Record<string, CollectorResult> = { ...spec.others };
  if (spec.packages) collectors.packages = { status: 'ok', durationMs: 40, facts: spec.packages };
  for (const [name, status] of Object.entries(spec.failed ?? {})) {
    collectors[name] = { status, durationMs: 2, error: `${name}: recorded ${status}` };
  }
  const failed = Object.values(collectors).some(
    (c) => c.status === 'failed' || c.status === 'timeout',
  );
  const startedAt = new Date(spec.at.getTime() - 1200);
  return {
    type: 'facts',
    startedAt,
    finishedAt: spec.at,
    durationMs: 1200,
    bytes: 31_337,
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDWzc91X5Dt9+jUsPFRcS2Zv2nx9jBfWy9Ie/Z7boq8W',
    outcome: failed ? 'partial' : 'ok',
    collectors,
  };
}

/** The two consecutive metrics samples recorded on the Debian 12 VM (see fixtures README). */
export function recordedMetrics(which: 't0' | 't1'): Sample {
  const times = JSON.parse(ownFile('metrics/debian-12__sample-times.json')) as Record<
    string,
    string
  >;
  const outputs = Object.fromEntries(
    metricsCollector.commands.map((c) => [
      c.id,
      ownFile(`metrics/debian-12-${which}__${c.id.split('.')[1]}.txt`),
    ]),
  );
  const metrics: RawMetrics = metricsCollector.parse(sectionsOf(outputs)).metrics ?? {};
  return { at: new Date(times[`debian-12-${which}`] ?? Number.NaN), metrics };
}

/** Hosts to hang facts and probes on (only the columns the hosts table requires). */
export async function createHosts(sql: Sql, prefix: string, count = 1): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}.example.test`);
  const rows = await sql<{ id: string }[]>`
    insert into hosts (name, address, username)
    select n, '192.0.2.' || (ordinality % 250 + 1), 'hiprobe'
    from unnest(${names}::text[]) with ordinality as t(n, ordinality)
    returning id`;
  return rows.map((r) => r.id);
}

/** Tuple writes PostgreSQL counted for a table; `sql` must be the connection that wrote. */
export async function tableWrites(sql: Sql, table: string) {
  // Statistics are flushed when a backend goes idle, at most once a second unless forced:
  // force it on this connection, then read (the flush happens before the next query).
  await sql`select pg_stat_force_next_flush()`;
  const [row] = await sql<{ ins: number; upd: number; del: number }[]>`
    select n_tup_ins::int as ins, n_tup_upd::int as upd, n_tup_del::int as del
    from pg_stat_user_tables where relname = ${table}`;
  return row ?? { ins: 0, upd: 0, del: 0 };
}

/**
 * A host's samples every `intervalS` seconds from `start`, continuing the recorded Debian 12
 * sample: counters advance (CPU jiffies at 100 Hz on 2 CPUs, network and disk traffic),
 * gauges wander, deterministically from `seed`.
 */
export function sampleSeries(start: Date, count: number, intervalS: number, seed = 1): Sample[] {
  const base = recordedMetrics('t0').metrics;
  let state = seed >>> 0 || 1;
  const random = () => {
    state = Math.imul(state, 1664525) + 1013904223;
    return (state >>> 0) / 2 ** 32;
  };
  const samples: Sample[] = [];
  let m: RawMetrics = base;
  for (let i = 0; i < count; i++) {
    const at = new Date(start.getTime() + i * intervalS * 1000);
    if (i > 0) {
      const jiffies = intervalS * 100 * 2;
      const busy = Math.floor(jiffies * (0.05 + 0.6 * random()));
      const cpu = m.cpu ?? base.cpu;
      const memory = m.memory ?? base.memory;
      const used = Math.floor((memory?.totalBytes ?? 0) * (0.03 + 0.1 * random()));
      m = {
        ...m,
        cpu: cpu && {
          ...cpu,
          user: cpu.user + Math.floor(busy * 0.7),
          system: cpu.system + Math.floor(busy * 0.2),
          iowait: cpu.iowait + Math.floor(busy * 0.05),
          steal: cpu.steal + Math.floor(busy * 0.05),
          idle: cpu.idle + jiffies - busy,
        },
        load: { load1: 3 * random(), load5: 2 * random(), load15: 1 + random() },
        memory: memory && {
          ...memory,
          usedBytes: used,
          availableBytes: memory.totalBytes - used,
        },
        uptimeSeconds: (m.uptimeSeconds ?? 0) + intervalS,
        filesystems: (m.filesystems ?? []).map((fs) => {
          const grown = fs.usedBytes + Math.floor(random() * 50_000_000);
          return { ...fs, usedBytes: grown, availBytes: fs.sizeBytes - grown };
        }),
        interfaces: (m.interfaces ?? []).map((n) => ({
          ...n,
          rxBytes: n.rxBytes + Math.floor(random() * 1e7),
          txBytes: n.txBytes + Math.floor(random() * 1e6),
          rxPackets: n.rxPackets + Math.floor(random() * 1e4),
          txPackets: n.txPackets + Math.floor(random() * 1e3),
        })),
        disks: (m.disks ?? []).map((d) => ({
          ...d,
          readsCompleted: d.readsCompleted + Math.floor(random() * 500),
          sectorsRead: d.sectorsRead + Math.floor(random() * 40_000),
          writesCompleted: d.writesCompleted + Math.floor(random() * 800),
          sectorsWritten: d.sectorsWritten + Math.floor(random() * 90_000),
          ioMs: d.ioMs + Math.floor(random() * intervalS * 300),
        })),
      };
    }
    samples.push({ at, metrics: m });
  }
  return samples;
}
