// apk (Alpine): the installed database, filtered to the fields we keep.
import { ParseError } from './errors.ts';
import type { PackageFact } from './packages.ts';
import { identifier } from './sanitize.ts';

/**
 * The database rather than `apk list --installed`: that prints `name-version`, which cannot
 * be split reliably (`virtualbox-guest-modules-virt-4.14.167-r0`), needs apk-tools 2.9+, and
 * has no field for the origin; the database has name, version, arch and origin as separate
 * fields. grep keeps only those lines (the file also lists every installed file) and the blank
 * lines between records. apk-tools 3 may keep the database under /usr/lib.
 */
export const APK_COMMAND =
  'for f in /lib/apk/db/installed /usr/lib/apk/db/installed; do ' +
  'if [ -r "$f" ]; then grep -E \'^([PVAo]:|$)\' "$f"; exit; fi; done; exit 127';

export function parseApkInstalled(stdout: string): PackageFact[] {
  const packages: PackageFact[] = [];
  let record = new Map<string, string>();
  const flush = (): void => {
    if (record.size > 0) packages.push(apkPackage(record));
    record = new Map();
  };
  for (const line of stdout.split('\n')) {
    if (line === '') {
      flush();
      continue;
    }
    const match = /^([A-Za-z]):(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) {
      throw new ParseError(`apk: not a field line: ${JSON.stringify(line.slice(0, 60))}`);
    }
    // A second P: without a blank line means the record separator was lost.
    if (match[1] === 'P' && record.has('P')) throw new ParseError('apk: record without end');
    if (!record.has(match[1])) record.set(match[1], match[2]);
  }
  flush();
  return packages;
}

function apkPackage(record: Map<string, string>): PackageFact {
  const name = record.get('P');
  const evr = record.get('V');
  const arch = record.get('A');
  if (!name || !evr || !arch) {
    throw new ParseError(`apk: record without name, version or arch (${name ?? '?'})`);
  }
  identifier(evr, 'apk version');
  // pkgver is <version>-r<pkgrel>; apk has no epoch.
  const split = /^(.+)-(r\d+)$/.exec(evr);
  const origin = record.get('o');
  return {
    name: identifier(name, 'apk package name'),
    epoch: null,
    version: split?.[1] ?? evr,
    release: split?.[2] ?? null,
    arch: identifier(arch, 'apk architecture'),
    evr,
    // Subpackages share their origin's pkgver, so the origin's version is this one.
    source: origin ? { name: identifier(origin, 'apk origin'), version: evr } : null,
    manager: 'apk',
  };
}
