// Refreshing the vulnerability index (migration 031) before it is read: the hosts whose os or
// package facts changed since (marked stale by a trigger in the same transaction as the
// change) are rebuilt, a batch per transaction, until none is stale. Readers call this first,
// so an answer is never older than the facts committed before it started; when nothing
// changed it costs one index probe. After a wave of probes that changed many hosts the
// first reader pays for rebuilding them (~6 ms a host of 1,500 packages, set-based in SQL).
import type { Sql } from '../sql/client.ts';
import {
  anyStale,
  clearMarks,
  currentOsValues,
  type HostScopeRow,
  rebuildHostPackages,
  staleMarks,
  type VulnIndexPart,
  withIndexLock,
  writeHostScopes,
} from '../sql/vuln-index.ts';
import { scopeFromOs } from './host-scope.ts';

export interface RefreshOptions {
  /** What to bring up to date: the os-derived scopes only, or the package lists too. */
  parts?: readonly VulnIndexPart[];
  /** Hosts per transaction for package lists (each reads ~1,500 fact rows per host). */
  packageBatch?: number;
}

export interface RefreshResult {
  os: number;
  packages: number;
}

const OS_BATCH = 2000;
const PACKAGE_BATCH = 200;

/** Rebuilds every stale host of the given parts (both by default). */
export async function refreshVulnIndex(
  sql: Sql,
  options: RefreshOptions = {},
): Promise<RefreshResult> {
  const parts = options.parts ?? (['os', 'packages'] as const);
  const done: RefreshResult = { os: 0, packages: 0 };
  if (!(await anyStale(sql, parts))) return done;
  for (;;) {
    const batch = await withIndexLock(sql, async (tx) => {
      const os = parts.includes('os') ? await staleMarks(tx, 'os', OS_BATCH) : [];
      const packages = parts.includes('packages')
        ? await staleMarks(tx, 'packages', options.packageBatch ?? PACKAGE_BATCH)
        : [];
      if (os.length > 0) {
        const values = await currentOsValues(
          tx,
          os.map((m) => m.hostId),
        );
        await writeHostScopes(
          tx,
          os.map((m) => scopeRow(m.hostId, values.get(m.hostId) ?? null)),
        );
      }
      await rebuildHostPackages(
        tx,
        packages.map((m) => m.hostId),
      );
      await clearMarks(tx, [...os, ...packages]);
      return { os: os.length, packages: packages.length };
    });
    done.os += batch.os;
    done.packages += batch.packages;
    if (batch.os === 0 && batch.packages === 0) return done;
  }
}

function scopeRow(hostId: string, os: Record<string, unknown> | null): HostScopeRow {
  const { scope, ecosystems, namesSource } = scopeFromOs(hostId, os);
  return {
    hostId,
    supported: scope.supported,
    reason: scope.reason,
    scheme: scope.scheme,
    namesSource: scope.supported ? namesSource : null,
    ecosystems,
    kernelRelease: scope.kernelRelease,
  };
}
