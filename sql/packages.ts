// "Which hosts have package X": the current package facts whose binary or source package is
// named X, with the version fields matching needs. Versions are compared in JS with each
// manager's own scheme (vuln/versions.ts), never in SQL.
import type { PackageManager } from '../collectors/packages.ts';
import type { Sql } from './client.ts';

export interface PackageHostRow {
  hostId: string;
  /** The fact key (name:arch, or name:arch:evr for rpm kernels and other multi-version names). */
  key: string;
  name: string;
  epoch: number | null;
  version: string;
  release: string | null;
  arch: string;
  /** The full version as the manager compares it. */
  evr: string;
  source: { name: string; version: string } | null;
  manager: PackageManager;
  /** Installed (or at this version) since. */
  since: Date;
}

/**
 * Every current package named `name`, as a binary package or as the source package it was
 * built from, on every host. Uses the two partial indexes leading on the names (migration 003).
 */
export async function packageHosts(sql: Sql, name: string): Promise<PackageHostRow[]> {
  const rows = await sql<
    {
      host_id: string;
      key: string;
      name: string;
      epoch: number | null;
      version: string;
      release: string | null;
      arch: string;
      evr: string;
      source_name: string | null;
      source_version: string | null;
      manager: PackageManager;
      valid_from: Date;
    }[]
  >`
    select host_id, key, name, epoch, version, release, arch, evr, source_name, source_version,
      manager, valid_from
    from host_packages
    where valid_to is null and (name = ${name} or source_name = ${name})
    order by host_id, key`;
  return rows.map((r) => ({
    hostId: r.host_id,
    key: r.key,
    name: r.name,
    epoch: r.epoch,
    version: r.version,
    release: r.release,
    arch: r.arch,
    evr: r.evr,
    source:
      r.source_name === null ? null : { name: r.source_name, version: r.source_version ?? '' },
    manager: r.manager,
    since: r.valid_from,
  }));
}
