// Seeding for the vulnerability tests: hosts with crafted os and package facts applied through
// applyProbe (so the facts, their history and the vulnerability index's stale marks are what
// a real probe writes), and package facts shaped as the dpkg and rpm collectors write them.
import type { PackageFact } from '../../collectors/packages.ts';
import type { CollectorResult, ProbeResult } from '../../collectors/probe.ts';
import type { Sql } from '../../sql/client.ts';

export type Os = {
  id: string;
  versionId: string;
  kernelRelease?: string;
  versionCodename?: string;
};
export type Pkg = Partial<PackageFact> & { name: string; evr: string };

export function osFact(os: Os) {
  return {
    id: os.id,
    idLike: [],
    name: null,
    version: null,
    versionId: os.versionId,
    versionCodename: os.versionCodename ?? null,
    prettyName: null,
    releaseFile: '/etc/os-release',
    kernelRelease: os.kernelRelease ?? '6.1.0-0-amd64',
    arch: 'x86_64',
    hostname: null,
    fqdn: null,
    machineId: null,
    bootId: null,
    virtualization: null,
    dmi: null,
    installedKernels: [],
    runningKernelInstalled: null,
    rebootRequired: null,
  };
}

export function packageFact(p: Pkg, manager: 'dpkg' | 'rpm') {
  const value: PackageFact = {
    epoch: null,
    version: p.evr,
    release: null,
    arch: manager === 'rpm' ? 'x86_64' : 'amd64',
    source: null,
    manager,
    ...p,
  };
  const key =
    manager === 'rpm' && /^kernel/.test(p.name)
      ? `${p.name}:${value.arch}:${p.evr}`
      : `${p.name}:${value.arch}`;
  return { kind: 'package', key, value };
}

/** A facts probe finishing at `at` whose os and packages collectors succeeded. */
export function probeResult(at: Date, os: Os, packages: readonly Pkg[]): ProbeResult {
  const manager = os.id === 'almalinux' || os.id === 'rocky' ? 'rpm' : 'dpkg';
  const collectors: Record<string, CollectorResult> = {
    os: { status: 'ok', durationMs: 1, facts: [{ kind: 'os', key: 'os', value: osFact(os) }] },
    packages: {
      status: 'ok',
      durationMs: 1,
      facts: packages.map((p) => packageFact(p, manager)),
    },
  };
  return {
    type: 'facts',
    startedAt: new Date(at.getTime() - 1000),
    finishedAt: at,
    durationMs: 1000,
    bytes: 1,
    hostKey: null,
    outcome: 'ok',
    collectors,
  };
}

export async function createHost(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into hosts (name, address, username) values (${name}, '192.0.2.1', 'hiprobe')
    returning id`;
  return row?.id ?? '';
}

export const rpm = (name: string, epoch: number | null, version: string, release: string): Pkg => ({
  name,
  epoch,
  version,
  release,
  evr: `${epoch === null ? '' : `${epoch}:`}${version}-${release}`,
  source: { name: name.replace(/-libs$/, ''), version: `${version}-${release}` },
});

export const deb = (name: string, evr: string, source: string, sourceVersion = evr): Pkg => ({
  name,
  evr,
  source: { name: source, version: sourceVersion },
});
