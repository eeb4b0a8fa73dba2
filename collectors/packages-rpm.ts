// rpm (RHEL and clones, Fedora, SUSE, Amazon Linux): one tab-separated line per package.
import { ParseError } from './errors.ts';
import type { PackageFact } from './packages.ts';
import { count, identifier, text } from './sanitize.ts';

/**
 * rpm creates an empty database on first use where none exists: on Debian, `rpm -qa` as any
 * user writes ~/.rpmdb. A probe must not write to the host, so the snippet first asks rpm
 * where its database is (`--eval` writes nothing) and reports "no rpm" (127) when there is
 * none in any format rpm has used (Berkeley DB, sqlite, ndb). stdin is /dev/null because
 * Debian's rpm expands %{_dbpath} with `bash -c`, and bash whose stdin is the SSH channel's
 * socket sources the login user's ~/.bashrc.
 */
export const RPM_COMMAND =
  'command -v rpm >/dev/null 2>&1 || exit 127; d=$(rpm --eval "%{_dbpath}" </dev/null); ' +
  '[ -f "$d/rpmdb.sqlite" ] || [ -f "$d/Packages" ] || [ -f "$d/Packages.db" ] || exit 127; ' +
  "rpm -qa --queryformat '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t" +
  "%{SOURCERPM}\\t%{VENDOR}\\t%{INSTALLTIME}\\n' </dev/null";

const NONE = '(none)';

export function parseRpmQuery(stdout: string): PackageFact[] {
  const packages: PackageFact[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 8) throw new ParseError(`rpm: expected 8 fields, got ${fields.length}`);
    const [name, epochText, version, release, arch, sourceRpm, vendor, installTime] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // Imported signing keys are stored as pseudo-packages; they are not software.
    if (name === 'gpg-pubkey') continue;
    const epoch = epochText === NONE ? null : count(epochText, `rpm epoch of ${name}`);
    identifier(version, 'rpm version');
    identifier(release, 'rpm release');
    packages.push({
      name: identifier(name, 'rpm package name'),
      epoch,
      version,
      release,
      arch: identifier(arch, 'rpm architecture'),
      evr: `${epoch === null ? '' : `${epoch}:`}${version}-${release}`,
      source: parseSourceRpm(sourceRpm),
      manager: 'rpm',
      vendor: vendor === NONE || vendor === '' ? null : text(vendor),
      installTime: installTime === NONE ? null : count(installTime, `rpm install time of ${name}`),
    });
  }
  return packages;
}

/** `glibc-2.17-106.el7_2.6.src.rpm` → glibc, 2.17-106.el7_2.6 (the source's version-release). */
export function parseSourceRpm(sourceRpm: string): PackageFact['source'] {
  const base = /^(.+)\.(?:no)?src\.rpm$/.exec(sourceRpm)?.[1];
  if (!base) return null;
  const releaseDash = base.lastIndexOf('-');
  const versionDash = base.lastIndexOf('-', releaseDash - 1);
  if (versionDash <= 0) return null;
  return {
    name: identifier(base.slice(0, versionDash), 'rpm source name'),
    version: identifier(base.slice(versionDash + 1), 'rpm source version'),
  };
}
