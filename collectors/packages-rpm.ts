// rpm (RHEL and clones, Fedora, SUSE, Amazon Linux): one tab-separated line per package.
import { ParseError } from './errors.ts';
import type { PackageFact } from './packages.ts';
import { count, identifier, text } from './sanitize.ts';

/**
 * rpm creates an empty database on first use where none exists: on Debian, `rpm -qa` as any
 * user writes ~/.rpmdb. A probe must not write to the host, so the snippet looks for a
 * database in any format rpm has used (Berkeley DB, sqlite, ndb) where rpm keeps it — the
 * system paths of rpm distributions, then Debian's per-user default — reads exactly that one
 * (`--dbpath`), and reports "no rpm" (127) when there is none. It used to ask
 * `rpm --eval %{_dbpath}` first: a second rpm start (7 ms of CPU, plus a bash on Debian) on
 * every probe of every host with the rpm tool, for the sake of an admin-set custom dbpath.
 * stdin is /dev/null because Debian's rpm runs macros with `bash -c`, and bash whose stdin is
 * the SSH channel's socket sources the login user's ~/.bashrc.
 */
export const RPM_COMMAND =
  'command -v rpm >/dev/null 2>&1 || exit 127; ' +
  'for d in /var/lib/rpm /usr/lib/sysimage/rpm "$HOME/.rpmdb"; do ' +
  '[ -f "$d/rpmdb.sqlite" ] || [ -f "$d/Packages" ] || [ -f "$d/Packages.db" ] || continue; ' +
  'rpm -qa --dbpath "$d" --queryformat \'%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t' +
  "%{ARCH}\\t%{SOURCERPM}\\t%{VENDOR}\\t%{INSTALLTIME}\\n' </dev/null; exit; done; exit 127";

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
