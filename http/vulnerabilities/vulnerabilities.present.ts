// Rows of sql/advisories.ts and vuln/correlate.ts as the API answers them.
import type { AdvisoryRow } from '../../sql/advisories.ts';
import type { ExposureWindow, HostAdvisoryMatch, MatchedPackage } from '../../vuln/correlate.ts';
import { iso } from '../schemas.ts';

export function toApiAdvisory(a: AdvisoryRow) {
  return {
    id: a.id,
    severity: a.severity,
    summary: a.summary,
    aliases: a.aliases,
    ecosystems: a.ecosystems,
    modified: iso(a.modified),
    published: iso(a.published),
    withdrawn: iso(a.withdrawn),
  };
}

export function toApiPackage(p: MatchedPackage) {
  return {
    key: p.key,
    name: p.name,
    arch: p.arch,
    evr: p.evr,
    source: p.source,
    comparedVersion: p.comparedVersion,
    kernel: p.kernel,
    installedSince: iso(p.validFrom),
  };
}

export function toApiWindow(w: ExposureWindow) {
  return {
    from: iso(w.from),
    to: iso(w.to),
    endedBy: w.endedBy,
    timeToRemediateMs: w.timeToRemediateMs,
  };
}

export function toAffectedHost(m: HostAdvisoryMatch, names: ReadonlyMap<string, string>) {
  return {
    hostId: m.hostId,
    hostName: names.get(m.hostId) ?? '',
    ecosystem: m.ecosystem,
    notRunningKernelOnly: m.notRunningKernelOnly,
    packages: m.packages.map(toApiPackage),
  };
}
