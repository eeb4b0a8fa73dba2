// The os collector: distribution, kernel, identity and boot state of a host. Other collectors'
// results are read against it (e.g. vulnerability matching maps id/versionId to an ecosystem).
import { ParseError } from './errors.ts';
import { identifier, text } from './sanitize.ts';
import { readFileCommand } from './script.ts';
import { okOutput, optionalOutput } from './section.ts';
import type { Collector, CollectorOutput, Sections } from './types.ts';

/** The files os.release may read, in the order it tries them; the snippet prints which. */
export const releaseFiles = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/centos-release',
  '/etc/redhat-release',
] as const;
export type ReleaseFile = (typeof releaseFiles)[number];

export type OsRelease = {
  /** os-release ID, e.g. 'debian', 'rhel', 'alpine' (lowercase by the spec). */
  readonly id: string;
  /** ID_LIKE in file order (closest relative first). */
  readonly idLike: readonly string[];
  readonly name: string | null;
  readonly version: string | null;
  readonly versionId: string | null;
  readonly versionCodename: string | null;
  readonly prettyName: string | null;
  readonly releaseFile: ReleaseFile;
};

export type DmiIdentity = {
  readonly sysVendor: string | null;
  readonly productName: string | null;
  /** Readable by root only: null when sudo was not available. */
  readonly productSerial: string | null;
  readonly productUuid: string | null;
};

export type OsFact = OsRelease & {
  /** `uname -r`. */
  readonly kernelRelease: string;
  /** `uname -m`, e.g. 'x86_64', 'aarch64'. */
  readonly arch: string;
  readonly hostname: string | null;
  /** `hostname -f`; null when it failed (no resolvable domain). */
  readonly fqdn: string | null;
  readonly machineId: string | null;
  /** Changes at every boot, so a reboot shows up as a change of this fact. */
  readonly bootId: string | null;
  /** systemd-detect-virt: 'none' on bare metal, e.g. 'kvm', 'docker'; null when unknown. */
  readonly virtualization: string | null;
  /** null when /sys/class/dmi/id is absent (containers, most ARM boards). */
  readonly dmi: DmiIdentity | null;
  /** Installed kernel versions (uname -r style), sorted. Empty when none are visible. */
  readonly installedKernels: readonly string[];
  /** Whether the running kernel is among them; null when the list is empty. */
  readonly runningKernelInstalled: boolean | null;
  /** null when the host has no way to tell (neither Debian's flag file nor needs-restarting). */
  readonly rebootRequired: boolean | null;
};

export const OS_KIND = 'os';
export const OS_KEY = 'os';

const RELEASE_COMMAND =
  'for f in /etc/os-release /usr/lib/os-release /etc/centos-release /etc/redhat-release; do ' +
  'if [ -r "$f" ]; then echo "$f"; cat "$f"; exit; fi; done; exit 127';

const DMI_PUBLIC_COMMAND =
  'cd /sys/class/dmi/id 2>/dev/null || exit 127; for f in sys_vendor product_name; do ' +
  '[ -r "$f" ] && printf \'%s=%s\\n\' "$f" "$(cat "$f")"; done; exit 0';

const DMI_PRIVATE_COMMAND =
  'cd /sys/class/dmi/id 2>/dev/null || exit 127; for f in product_serial product_uuid; do ' +
  '[ -r "$f" ] && printf \'%s=%s\\n\' "$f" "$(cat "$f")"; done; exit 0';

const KERNELS_COMMAND =
  'for d in /lib/modules/*; do [ -d "$d" ] && echo "modules ${d##*/}"; done; ' +
  'for f in /boot/vmlinuz-*; do [ -f "$f" ] && echo "boot ${f#/boot/vmlinuz-}"; done; exit 0';

const REBOOT_COMMAND =
  'if [ -e /var/run/reboot-required ]; then echo "reboot-required-file present"; ' +
  'elif command -v needs-restarting >/dev/null 2>&1; then needs-restarting -r 2>/dev/null; ' +
  'echo "needs-restarting exit $?"; ' +
  'elif [ -d /var/lib/dpkg ]; then echo "reboot-required-file absent"; ' +
  'else echo "unknown"; fi';

export const osCollector: Collector = {
  name: 'os',
  description: 'Distribution, kernel, hostname, machine and boot identity, virtualization',
  kinds: [OS_KIND],
  commands: [
    {
      id: 'os.release',
      command: RELEASE_COMMAND,
      why: 'Distribution and version (os-release; CentOS 6 era release files as a fallback)',
    },
    { id: 'os.uname', command: 'uname -r -m', why: 'Running kernel release and architecture' },
    {
      id: 'os.hostname',
      // What `hostname` prints (the kernel's host name), read with builtins: no process.
      command:
        '{ IFS= read -r h </proc/sys/kernel/hostname; } 2>/dev/null && ' +
        'printf \'%s\\n\' "$h" || hostname',
      why: 'Host name as the host knows itself',
    },
    { id: 'os.fqdn', command: 'hostname -f', why: 'Fully qualified name, when it resolves' },
    {
      id: 'os.machine-id',
      command: readFileCommand('/etc/machine-id'),
      why: 'Stable machine identity',
    },
    {
      id: 'os.boot-id',
      command: readFileCommand('/proc/sys/kernel/random/boot_id'),
      why: 'Identity of the current boot, to see reboots',
    },
    {
      id: 'os.virt',
      command: 'systemd-detect-virt',
      why: 'Virtualization or container technology the host runs under',
    },
    {
      id: 'os.dmi',
      command: DMI_PUBLIC_COMMAND,
      why: 'Hardware vendor and model (world-readable DMI attributes)',
    },
    {
      id: 'os.dmi-private',
      command: DMI_PRIVATE_COMMAND,
      root: 'required',
      why: 'Serial number and system UUID (DMI attributes readable by root only)',
    },
    {
      id: 'os.kernels',
      command: KERNELS_COMMAND,
      why: 'Installed kernels, to tell whether the running one is still installed',
    },
    {
      id: 'os.reboot-required',
      command: REBOOT_COMMAND,
      why: "Whether updates wait for a reboot (Debian's flag file, RHEL's needs-restarting -r)",
    },
  ],
  parse: parseOs,
};

function parseOs(sections: Sections): CollectorOutput {
  const release = parseReleaseSection(okOutput(sections, 'os.release'));
  const { kernelRelease, arch } = parseUname(okOutput(sections, 'os.uname'));
  const kernels = parseKernelList(optionalOutput(sections, 'os.kernels') ?? '');
  const value: OsFact = {
    ...release,
    kernelRelease,
    arch,
    hostname: singleToken(optionalOutput(sections, 'os.hostname'), 'hostname'),
    fqdn: singleToken(optionalOutput(sections, 'os.fqdn'), 'fqdn'),
    machineId: parseMachineId(optionalOutput(sections, 'os.machine-id')),
    bootId: parseBootId(optionalOutput(sections, 'os.boot-id')),
    virtualization: parseVirtSection(sections),
    dmi: parseDmiSections(sections),
    installedKernels: kernels,
    runningKernelInstalled: kernels.length === 0 ? null : kernels.includes(kernelRelease),
    rebootRequired: parseRebootRequired(optionalOutput(sections, 'os.reboot-required')),
  };
  return { facts: [{ kind: OS_KIND, key: OS_KEY, value }] };
}

/** The os.release section: the path the snippet chose, then that file's content. */
export function parseReleaseSection(stdout: string): OsRelease {
  const newline = stdout.indexOf('\n');
  const path = newline === -1 ? stdout : stdout.slice(0, newline);
  const body = newline === -1 ? '' : stdout.slice(newline + 1);
  const file = releaseFiles.find((candidate) => candidate === path);
  if (!file) throw new ParseError(`os.release: unexpected first line ${JSON.stringify(path)}`);
  return file === '/etc/os-release' || file === '/usr/lib/os-release'
    ? parseOsRelease(body, file)
    : parseLegacyRelease(body, file);
}

/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(
  content: string,
  releaseFile: ReleaseFile = '/etc/os-release',
): OsRelease {
  const fields = new Map<string, string>();
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) {
      throw new ParseError(
        `os-release: not a KEY=value line: ${JSON.stringify(line.slice(0, 60))}`,
      );
    }
    fields.set(match[1], unquote(match[2]));
  }
  // The spec's default when ID is missing.
  const id = identifier(fields.get('ID') || 'linux', 'os-release ID');
  const optional = (key: string): string | null => {
    const value = fields.get(key);
    return value ? text(value) : null;
  };
  const like = fields.get('ID_LIKE') ?? '';
  return {
    id,
    idLike: like
      .split(/\s+/)
      .filter(Boolean)
      .map((item) => identifier(item, 'os-release ID_LIKE')),
    name: optional('NAME'),
    version: optional('VERSION'),
    versionId: optional('VERSION_ID'),
    versionCodename: optional('VERSION_CODENAME'),
    prettyName: optional('PRETTY_NAME'),
    releaseFile,
  };
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    const inner = value.slice(1, -1);
    // Inside double quotes the spec allows \" \\ \$ \` escapes; single quotes are literal.
    return quote === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
  }
  return value;
}

// Release-file names of the distributions that shipped no os-release (RHEL/CentOS 6 and older).
const legacyDistros = [
  { prefix: 'CentOS', id: 'centos', idLike: ['rhel', 'fedora'], majorOnly: true },
  { prefix: 'Red Hat Enterprise Linux', id: 'rhel', idLike: ['fedora'], majorOnly: false },
  { prefix: 'Scientific Linux', id: 'scientific', idLike: ['rhel', 'fedora'], majorOnly: false },
] as const;

/** /etc/centos-release or /etc/redhat-release: one line like "CentOS release 6.9 (Final)". */
export function parseLegacyRelease(content: string, releaseFile: ReleaseFile): OsRelease {
  const line = content.split('\n')[0]?.trim() ?? '';
  const match = /^(.+?) release (\d+(?:\.\d+)*)(?: \((.+)\))?/.exec(line);
  if (!match?.[1] || !match[2]) {
    throw new ParseError(`${releaseFile}: unrecognised release line ${JSON.stringify(line)}`);
  }
  const full = match[1];
  const known = legacyDistros.find((distro) => full.startsWith(distro.prefix));
  const version = match[2];
  // Keep os-release's conventions: CentOS reports only the major version, RHEL major.minor.
  const versionId = known?.majorOnly ? (version.split('.')[0] ?? version) : version;
  return {
    id: known?.id ?? identifier(full.toLowerCase().replace(/[^a-z0-9]+/g, '-'), 'release name'),
    idLike: known ? [...known.idLike] : [],
    name: text(full),
    version: text(match[3] ? `${version} (${match[3]})` : version),
    versionId,
    versionCodename: null,
    prettyName: text(line),
    releaseFile,
  };
}

/** `uname -r -m` prints the release then the machine, whatever the flag order. */
export function parseUname(stdout: string): { kernelRelease: string; arch: string } {
  const parts = stdout.trim().split(/\s+/);
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ParseError(`os.uname: expected "release machine", got ${JSON.stringify(stdout)}`);
  }
  return {
    kernelRelease: identifier(parts[0], 'kernel release'),
    arch: identifier(parts[1], 'architecture'),
  };
}

function singleToken(stdout: string | undefined, field: string): string | null {
  const value = stdout?.trim();
  if (!value) return null;
  if (/\s/.test(value)) throw new ParseError(`${field} contains whitespace`);
  return identifier(value, field);
}

/** 32 lowercase hex digits; 'uninitialized' (first boot) and anything else are unknown. */
export function parseMachineId(stdout: string | undefined): string | null {
  const value = stdout?.trim() ?? '';
  return /^[0-9a-f]{32}$/.test(value) ? value : null;
}

export function parseBootId(stdout: string | undefined): string | null {
  const value = stdout?.trim() ?? '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
    ? value
    : null;
}

/** systemd-detect-virt prints "none" and exits 1 on bare metal. */
function parseVirtSection(sections: Sections): string | null {
  const section = sections.get('os.virt');
  if (!section || section.truncated || section.privilegeDenied) return null;
  const value = section.stdout.trim();
  if (section.exitCode === 0 && value) return identifier(value, 'virtualization');
  if (section.exitCode === 1 && value === 'none') return 'none';
  return null;
}

function parseDmiSections(sections: Sections): DmiIdentity | null {
  const publicPart = optionalOutput(sections, 'os.dmi');
  if (publicPart === undefined) return null;
  const fields = new Map([
    ...parseDmiAttributes(publicPart),
    ...parseDmiAttributes(optionalOutput(sections, 'os.dmi-private') ?? ''),
  ]);
  const field = (name: string): string | null => fields.get(name) ?? null;
  return {
    sysVendor: field('sys_vendor'),
    productName: field('product_name'),
    productSerial: field('product_serial'),
    productUuid: field('product_uuid'),
  };
}

/** `name=value` lines from the DMI snippets; empty values are unknown. */
export function parseDmiAttributes(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new ParseError(`os.dmi: not a name=value line: ${JSON.stringify(line)}`);
    const value = text(line.slice(equals + 1).trim());
    if (value) fields.set(line.slice(0, equals), value);
  }
  return fields;
}

/**
 * `modules <dir>` and `boot <vmlinuz suffix>` lines. /boot names are the better list where they
 * are versions (Debian, RHEL: a removed kernel can leave a /lib/modules directory behind); where
 * they are flavours ('linux', 'lts' on Arch and Alpine) the module directories are the list.
 */
export function parseKernelList(stdout: string): string[] {
  const modules = new Set<string>();
  const boot = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [source, name, extra] = line.split(' ');
    if (!name || extra !== undefined || (source !== 'modules' && source !== 'boot')) {
      throw new ParseError(`os.kernels: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
    // RHEL's rescue image (vmlinuz-0-rescue-<machine-id>) is not an installed kernel package.
    if (source === 'boot' && name.startsWith('0-rescue-')) continue;
    (source === 'modules' ? modules : boot).add(identifier(name, 'kernel version'));
  }
  const bootAreVersions = boot.size > 0 && [...boot].every((name) => modules.has(name));
  return [...(bootAreVersions ? boot : modules)].sort();
}

export function parseRebootRequired(stdout: string | undefined): boolean | null {
  if (stdout === undefined) return null;
  const lines = stdout.trimEnd().split('\n');
  const last = lines.at(-1) ?? '';
  if (last === 'reboot-required-file present') return true;
  if (last === 'reboot-required-file absent') return false;
  const exit = /^needs-restarting exit (\d+)$/.exec(last)?.[1];
  if (exit === '0') return false;
  // Exit 1 is also dnf's generic error status: believe it only with the tool's own verdict.
  if (exit === '1' && /reboot is required/i.test(lines.join('\n'))) return true;
  return null;
}
