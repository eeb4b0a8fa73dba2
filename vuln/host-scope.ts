// What a host's os fact says about matching: its OSV ecosystems (vuln/ecosystems.ts), version
// scheme, whether advisories name source packages for it, and its running kernel. Pure: the
// os fact's value in, the scope out. One definition for the live correlation (correlate.ts)
// and for the fleet index (fleet-index.ts), so both answer alike.
import { ecosystemsForHost, type HostOsRelease } from './ecosystems.ts';
import type { VersionScheme } from './version-scheme.ts';

export interface HostScope {
  hostId: string;
  supported: boolean;
  /** Why the host cannot be matched (no os fact, a distribution without OSV data…). */
  reason: string | null;
  scheme: VersionScheme | null;
  kernelRelease: string | null;
}

/** A host's scope with the ecosystems that apply to it (none when unsupported). */
export interface ScopedHost {
  scope: HostScope;
  ecosystems: readonly string[];
  namesSource: boolean;
}

interface OsValue extends HostOsRelease {
  kernelRelease?: string;
}

export const NO_OS_FACT = 'no os fact';

/** The scope of a host from the value of its os fact (null: the host has none). */
export function scopeFromOs(hostId: string, value: Record<string, unknown> | null): ScopedHost {
  if (value === null) {
    return {
      scope: { hostId, supported: false, reason: NO_OS_FACT, scheme: null, kernelRelease: null },
      ecosystems: [],
      namesSource: false,
    };
  }
  const os = value as unknown as OsValue;
  const kernelRelease = typeof os.kernelRelease === 'string' ? os.kernelRelease : null;
  const mapped = ecosystemsForHost(os);
  if (!mapped.supported) {
    return {
      scope: { hostId, supported: false, reason: mapped.reason, scheme: null, kernelRelease },
      ecosystems: [],
      namesSource: false,
    };
  }
  return {
    scope: { hostId, supported: true, reason: null, scheme: mapped.scheme, kernelRelease },
    ecosystems: mapped.ecosystems,
    namesSource: mapped.namesSource,
  };
}
