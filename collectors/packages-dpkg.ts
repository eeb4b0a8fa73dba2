// dpkg (Debian, Ubuntu): one tab-separated line per package from dpkg-query.
import { ParseError } from './errors.ts';
import type { PackageFact } from './packages.ts';
import { identifier } from './sanitize.ts';

/**
 * `${Package}` rather than `${binary:Package}`: the latter appends `:arch` to Multi-Arch: same
 * packages (libc6:amd64), and the architecture is its own field anyway. Every field is
 * supported since dpkg 1.16.2 (Debian 7, Ubuntu 12.04); dpkg fills `${source:Package}` and
 * `${source:Version}` even when the source is named like the binary.
 */
export const DPKG_COMMAND =
  "dpkg-query -W -f='${Package}\\t${Architecture}\\t${Version}\\t${source:Package}\\t" +
  "${source:Version}\\t${db:Status-Abbrev}\\n'";

// The second letter of db:Status-Abbrev. Kept: the package's files are on disk (installed,
// unpacked, half-configured, triggers pending or awaited). Dropped: not-installed,
// config-files (`rc`, removed but not purged) and half-installed (files partly unpacked/removed).
const PRESENT_STATES = new Set(['i', 'U', 'F', 'W', 't']);
const ABSENT_STATES = new Set(['n', 'c', 'H']);

export function parseDpkgQuery(stdout: string): PackageFact[] {
  const packages: PackageFact[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 6) {
      throw new ParseError(`dpkg-query: expected 6 fields, got ${fields.length}`);
    }
    const [name, arch, version, sourceName, sourceVersion, status] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const state = status[1];
    if (status.length !== 3 || state === undefined) {
      throw new ParseError(`dpkg-query: bad status ${JSON.stringify(status)} for ${name}`);
    }
    if (ABSENT_STATES.has(state)) continue;
    if (!PRESENT_STATES.has(state)) {
      throw new ParseError(`dpkg-query: unknown status ${JSON.stringify(status)} for ${name}`);
    }
    packages.push(dpkgPackage(name, arch, version, sourceName, sourceVersion));
  }
  return packages;
}

function dpkgPackage(
  name: string,
  arch: string,
  evr: string,
  sourceName: string,
  sourceVersion: string,
): PackageFact {
  identifier(evr, 'dpkg version');
  const { epoch, version, release } = splitDebianVersion(evr);
  return {
    name: identifier(name, 'dpkg package name'),
    epoch,
    version,
    release,
    arch: identifier(arch, 'dpkg architecture'),
    evr,
    source:
      sourceName && sourceVersion
        ? {
            name: identifier(sourceName, 'dpkg source name'),
            version: identifier(sourceVersion, 'dpkg source version'),
          }
        : null,
    manager: 'dpkg',
  };
}

/** deb-version(7): [epoch:]upstream[-revision]; the revision follows the last hyphen. */
export function splitDebianVersion(evr: string): {
  epoch: number | null;
  version: string;
  release: string | null;
} {
  const colon = evr.indexOf(':');
  const epochText = colon === -1 ? null : evr.slice(0, colon);
  if (epochText !== null && !/^\d{1,9}$/.test(epochText)) {
    throw new ParseError(`dpkg version ${JSON.stringify(evr)} has a malformed epoch`);
  }
  const rest = colon === -1 ? evr : evr.slice(colon + 1);
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen === -1 ? rest : rest.slice(0, hyphen);
  if (version === '') throw new ParseError(`dpkg version ${JSON.stringify(evr)} is malformed`);
  return {
    epoch: epochText === null ? null : Number(epochText),
    version,
    release: hyphen === -1 ? null : rest.slice(hyphen + 1),
  };
}
