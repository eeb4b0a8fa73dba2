// Seeding for the read API tests: hosts registered in the database, real probes of the dev
// sshd hosts, and crafted probe results (package facts through the collectors' own parsers).
import type { PackageFact } from '../../collectors/packages.ts';
import { packageFacts } from '../../collectors/packages.ts';
import { parseDpkgQuery } from '../../collectors/packages-dpkg.ts';
import { parseRpmQuery } from '../../collectors/packages-rpm.ts';
import { probe, type ProbeResult } from '../../collectors/probe.ts';
import type { CollectorResult } from '../../collectors/probe.ts';
import type { Sql } from '../../sql/client.ts';
import { applyProbe } from '../../sql/facts.ts';
import { registerHost } from '../../sql/hosts.ts';
import type { SecretBox } from '../../sql/secrets.ts';
import { testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';

export async function addHost(
  sql: Sql,
  secrets: SecretBox,
  name: string,
  extra: { labels?: Record<string, string>; groups?: string[]; factsIntervalS?: number } = {},
): Promise<string> {
  const row = await registerHost(sql, secrets, {
    name,
    address: '192.0.2.10',
    username: 'hostintel',
    credential: { secret: { type: 'agent' } },
    ...extra,
  });
  return row.id;
}

/** A real facts probe of a dev sshd host, applied to `hostId`. */
export async function probeDevHost(sql: Sql, hostId: string, devName: string) {
  const dev = testHost(devName);
  const result = await probe(targetFor(dev), { type: 'facts', sudo: dev.sudo });
  if (result.outcome === 'failed' || result.outcome === 'timeout') {
    throw new Error(`probe of ${devName} failed: ${result.error}`);
  }
  return applyProbe(sql, hostId, result);
}

/** dpkg packages as `dpkg-query` prints them: name, arch, version, source, source version. */
export function dpkg(...rows: [string, string, string, string, string][]): PackageFact[] {
  return parseDpkgQuery(rows.map((r) => `${r.join('\t')}\tii \n`).join(''));
}

/** rpm packages as the rpm collector's query prints them. */
export function rpm(...rows: [string, string, string, string, string, string][]): PackageFact[] {
  return parseRpmQuery(
    rows.map((r) => `${[...r, 'Red Hat, Inc.', '1700000000'].join('\t')}\n`).join(''),
  );
}

/** A facts probe finishing at `at` with these collector results. */
export function craftedProbe(
  at: Date,
  collectors: Record<string, CollectorResult>,
  outcome: ProbeResult['outcome'] = 'ok',
): ProbeResult {
  return {
    type: 'facts',
    startedAt: new Date(at.getTime() - 1000),
    finishedAt: at,
    durationMs: 1000,
    bytes: 4096,
    hostKey: null,
    outcome,
    ...(outcome === 'failed' ? { error: 'connect ECONNREFUSED', errorCode: 'connect' } : {}),
    collectors,
  };
}

export function packagesProbe(at: Date, packages: PackageFact[]): ProbeResult {
  return craftedProbe(at, {
    packages: { status: 'ok', durationMs: 40, facts: packageFacts(packages) },
  });
}
