// The dev sshd hosts' REAL package lists (Debian 12 and 13, probed over SSH) matched against
// advisories written for their real installed versions: a fix one revision after the installed
// source version affects the host, a fix at exactly that version does not.
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageFact } from '../../collectors/packages.ts';
import { probe } from '../../collectors/probe.ts';
import type { Sql } from '../../sql/client.ts';
import { applyProbe } from '../../sql/facts.ts';
import { correlate, hostScopes } from '../../vuln/correlate.ts';
import { importOsvJson } from '../../vuln/import.ts';
import { compareVersions } from '../../vuln/versions.ts';
import { useTestDatabase } from '../support/db.ts';
import { testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';

const db = useTestDatabase();

async function createHost(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into hosts (name, address, username) values (${name}, '127.0.0.1', 'hiprobe')
    returning id`;
  return row?.id ?? '';
}

const advisory = (id: string, ecosystem: string, name: string, events: object[]) => ({
  id,
  modified: '2026-11-01T00:00:00Z',
  published: '2026-11-01T00:00:00Z',
  affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
});

describe.each([
  { dev: 'deb12', ecosystem: 'Debian:12' },
  { dev: 'deb13', ecosystem: 'Debian:13' },
])('$dev real packages', ({ dev, ecosystem }) => {
  let hostId = '';
  let packages: PackageFact[] = [];
  /** A real installed package built from a source whose version differs from no binary. */
  let pkg: PackageFact;

  beforeAll(async () => {
    const host = testHost(dev);
    const result = await probe(targetFor(host), { type: 'facts', sudo: host.sudo });
    expect(result.collectors.packages?.status).toBe('ok');
    expect(result.collectors.os?.status).toBe('ok');
    hostId = await createHost(db.sql, `vuln-${dev}`);
    await applyProbe(db.sql, hostId, result);
    packages = (result.collectors.packages?.facts ?? []).map((f) => f.value as PackageFact);
    // A source package with a binary whose own version carries something else (a binNMU, or
    // a separately versioned binary) shows that the source version is compared; else any.
    const withSource = packages.filter((p) => p.source !== null);
    pkg =
      withSource.find((p) => p.source?.version !== p.evr) ??
      withSource.find((p) => p.name !== p.source?.name) ??
      (withSource[0] as PackageFact);
    expect(pkg).toBeDefined();
  });

  it('maps the host to its Debian ecosystem', async () => {
    const { ecosystems } = await hostScopes(db.sql, { hostIds: [hostId] });
    expect(ecosystems.map((e) => e.ecosystem)).toEqual([ecosystem]);
    expect(packages.length).toBeGreaterThan(100);
  });

  it('a fix one revision after the installed source version: affected', async () => {
    const source = pkg.source ?? { name: '', version: '' };
    const fixed = `${source.version}.1`;
    expect(compareVersions('deb', fixed, source.version)).toBe(1);
    const id = `DEV-${dev}-AFFECTED`;
    await importOsvJson(
      db.sql,
      advisory(id, ecosystem, source.name, [{ introduced: '0' }, { fixed }]),
    );
    const { matches } = await correlate(db.sql, { hostIds: [hostId], advisoryIds: [id] });
    expect(matches).toHaveLength(1);
    const names = packages.filter((p) => p.source?.name === source.name).map((p) => p.name);
    expect(matches[0]?.packages.map((p) => p.name).sort()).toEqual([...new Set(names)].sort());
    expect(matches[0]?.packages.every((p) => p.comparedVersion === source.version)).toBe(true);
  });

  it('a fix at exactly the installed source version: not affected', async () => {
    const source = pkg.source ?? { name: '', version: '' };
    const id = `DEV-${dev}-FIXED`;
    await importOsvJson(
      db.sql,
      advisory(id, ecosystem, source.name, [{ introduced: '0' }, { fixed: source.version }]),
    );
    const { matches } = await correlate(db.sql, { hostIds: [hostId], advisoryIds: [id] });
    expect(matches).toEqual([]);
  });

  it('last_affected at exactly the installed version: affected; the binary name alone: not', async () => {
    const source = pkg.source ?? { name: '', version: '' };
    const id = `DEV-${dev}-LAST`;
    await importOsvJson(
      db.sql,
      advisory(id, ecosystem, source.name, [
        { introduced: '0' },
        { last_affected: source.version },
      ]),
    );
    expect(
      (await correlate(db.sql, { hostIds: [hostId], advisoryIds: [id] })).matches,
    ).toHaveLength(1);

    // Debian advisories name source packages: a binary whose name is no source's is not matched.
    const binaryOnly = packages.find(
      (p) => p.source !== null && !packages.some((q) => q.source?.name === p.name),
    );
    expect(binaryOnly).toBeDefined();
    const bid = `DEV-${dev}-BINARY`;
    await importOsvJson(
      db.sql,
      advisory(bid, ecosystem, binaryOnly?.name ?? '', [{ introduced: '0' }]),
    );
    expect((await correlate(db.sql, { hostIds: [hostId], advisoryIds: [bid] })).matches).toEqual(
      [],
    );
  });

  it('the other release’s ecosystem never matches', async () => {
    const source = pkg.source ?? { name: '', version: '' };
    const other = ecosystem === 'Debian:12' ? 'Debian:13' : 'Debian:12';
    const id = `DEV-${dev}-OTHER`;
    await importOsvJson(db.sql, advisory(id, other, source.name, [{ introduced: '0' }]));
    expect((await correlate(db.sql, { hostIds: [hostId], advisoryIds: [id] })).matches).toEqual([]);
  });
});
