// pacman (Arch): the fields we keep from each package's `desc` record in the local database.
import { ParseError } from './errors.ts';
import type { PackageFact } from './packages.ts';
import { identifier } from './sanitize.ts';

/**
 * `pacman -Q` has no architecture; `pacman -Qi` has it but sends ~1 KB of descriptions and
 * dependency lists per package to keep three fields. The local database (pacman's own
 * `desc` records) gives name, version, base (source) and arch in ~80 bytes per package.
 * grep -A1 prints each `%FIELD%` line with the value line after it.
 */
export const PACMAN_COMMAND =
  'command -v pacman >/dev/null 2>&1 || exit 127; ' +
  "grep -h -A1 -E '^%(NAME|VERSION|BASE|ARCH)%$' /var/lib/pacman/local/*/desc";

const FIELD = /^%([A-Z0-9]+)%$/;
const KEPT = new Set(['NAME', 'VERSION', 'BASE', 'ARCH']);

/** grep's output (or whole `desc` files): `%FIELD%` lines each followed by their value. */
export function parsePacmanDesc(stdout: string): PackageFact[] {
  const packages: PackageFact[] = [];
  let record = new Map<string, string>();
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Other fields (when reading whole desc files) and grep's `--` group separators are skipped.
    const field = FIELD.exec(lines[i] ?? '')?.[1];
    if (!field || !KEPT.has(field)) continue;
    const value = lines[i + 1];
    if (value === undefined || value === '' || value === '--' || FIELD.test(value)) {
      throw new ParseError(`pacman: %${field}% has no value`);
    }
    i++;
    if (field === 'NAME' && record.size > 0) {
      packages.push(pacmanPackage(record));
      record = new Map();
    }
    record.set(field, value);
  }
  if (record.size > 0) packages.push(pacmanPackage(record));
  return packages;
}

function pacmanPackage(record: Map<string, string>): PackageFact {
  const name = record.get('NAME');
  const evr = record.get('VERSION');
  const arch = record.get('ARCH');
  if (!name || !evr || !arch) {
    throw new ParseError(`pacman: record without name, version or arch (${name ?? '?'})`);
  }
  identifier(evr, 'pacman version');
  // [epoch:]pkgver-pkgrel
  const match = /^(?:(\d{1,9}):)?(.+)-([^-]+)$/.exec(evr);
  if (!match?.[2] || !match[3]) throw new ParseError(`pacman: malformed version ${evr}`);
  const base = record.get('BASE');
  return {
    name: identifier(name, 'pacman package name'),
    epoch: match[1] === undefined ? null : Number(match[1]),
    version: match[2],
    release: match[3],
    arch: identifier(arch, 'pacman architecture'),
    evr,
    source: base ? { name: identifier(base, 'pacman base'), version: evr } : null,
    manager: 'pacman',
  };
}
