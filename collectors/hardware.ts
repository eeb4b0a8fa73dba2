// The hardware collector: CPU topology, installed memory, block devices and mounted filesystems.
// Only what changes when the machine is reconfigured goes into facts: no usage, no clock speeds
// (usage is the metrics collector's job).
import { ParseError } from './errors.ts';
import { count, identifier, text } from './sanitize.ts';
import { NOT_FOUND, okOutput } from './section.ts';
import type { Collector, Fact, Sections } from './types.ts';

export type CpuFact = {
  readonly model: string | null;
  readonly vendor: string | null;
  readonly arch: string | null;
  readonly sockets: number | null;
  readonly coresPerSocket: number | null;
  readonly threadsPerCore: number | null;
  /** Logical CPUs (hardware threads) the kernel knows about. */
  readonly cpus: number;
};

export type MemoryFact = { readonly totalBytes: number };

export type BlockDeviceFact = {
  /** As lsblk names it: `sda`, `nvme0n1p1`, `vg0-root` (device-mapper name). */
  readonly name: string;
  /** lsblk TYPE: disk, part, lvm, crypt, raid1, rom, mpath, dm… */
  readonly type: string;
  readonly sizeBytes: number;
  readonly model: string | null;
  /** null when the host does not expose it to the login user. */
  readonly serial: string | null;
  readonly rotational: boolean | null;
  readonly removable: boolean | null;
  /** The device this one sits on; for several (LVM on many PVs) the first by name. */
  readonly parent: string | null;
};

export type MountFact = {
  readonly mountpoint: string;
  readonly device: string;
  readonly fstype: string;
  readonly options: string;
};

export const CPU_KIND = 'cpu';
export const MEMORY_KIND = 'memory';
export const BLOCK_DEVICE_KIND = 'block_device';
export const MOUNT_KIND = 'mount';

// KNAME lets PKNAME (a kernel name such as dm-0) be resolved to the parent's NAME.
const LSBLK_COLUMNS = 'NAME,KNAME,TYPE,SIZE,MODEL,SERIAL,ROTA,RM,PKNAME';

// lsblk -J appeared in util-linux 2.27; older ones (CentOS 7) only have -P pairs.
const LSBLK_COMMAND =
  'command -v lsblk >/dev/null || exit 127; ' +
  `lsblk -J -b -o ${LSBLK_COLUMNS} 2>/dev/null || lsblk -P -b -o ${LSBLK_COLUMNS}`;

// Without lsblk (BusyBox, minimal images) the same pairs are printed from /sys/block, so one
// parser reads both. Loop and RAM disks are skipped here as they are in the parser.
const SYS_BLOCK_COMMAND = [
  'command -v lsblk >/dev/null && exit 0; [ -d /sys/block ] || exit 127',
  'r() { [ -r "$1" ] && tr -d \'"\\\\\\n\' < "$1"; }',
  'f=\'NAME="%s" KNAME="%s" TYPE="%s" SIZE="%s" MODEL="%s" SERIAL="%s" \'',
  'f="$f"\'ROTA="%s" RM="%s" PKNAME="%s"\\n\'',
  'for d in /sys/block/*; do k=$(basename "$d"); case $k in loop*|ram*) continue;; esac',
  't=disk; p=; n=$k; m=$(r "$d/device/model"); s=$(r "$d/device/serial")',
  'for q in "$d"/slaves/*; do [ -e "$q" ] && { p=$(basename "$q"); break; }; done',
  'case $k in sr*) t=rom;; md*) t=$(r "$d/md/level"); [ -n "$t" ] || t=md;;',
  'dm-*) u=$(r "$d/dm/uuid"); n=$(r "$d/dm/name")',
  '  case $u in LVM-*) t=lvm;; CRYPT-*) t=crypt;; mpath-*) t=mpath;; part*) t=part;; *) t=dm;;',
  '  esac;;',
  'esac; o=$(r "$d/queue/rotational"); v=$(r "$d/removable")',
  'printf "$f" "$n" "$k" "$t" "$(( $(r "$d/size") * 512 ))" "$m" "$s" "$o" "$v" "$p"',
  'for q in "$d/$k"*; do [ -r "$q/partition" ] || continue; c=$(basename "$q")',
  'printf "$f" "$c" "$c" part "$(( $(r "$q/size") * 512 ))" "" "" "$o" "$v" "$k"; done; done',
].join('\n');

export const hardwareCommands = [
  {
    id: 'hardware.lscpu',
    command: 'lscpu',
    why: 'CPU model, vendor, architecture and socket/core/thread topology',
  },
  {
    id: 'hardware.cpuinfo',
    // Only when lscpu is missing (BusyBox): uname -m gives the architecture cpuinfo lacks.
    command: 'command -v lscpu >/dev/null && exit 0; uname -m && cat /proc/cpuinfo',
    why: 'CPU details from /proc/cpuinfo on hosts without lscpu',
  },
  { id: 'hardware.meminfo', command: 'cat /proc/meminfo', why: 'installed memory (MemTotal)' },
  { id: 'hardware.lsblk', command: LSBLK_COMMAND, why: 'disks, partitions and volumes' },
  {
    id: 'hardware.sysblock',
    command: SYS_BLOCK_COMMAND,
    why: 'disks and partitions from /sys/block on hosts without lsblk',
  },
  {
    id: 'hardware.findmnt',
    command: 'findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS',
    why: 'mounted filesystems and their options',
  },
  {
    id: 'hardware.mounts',
    command: 'command -v findmnt >/dev/null && exit 0; cat /proc/mounts',
    why: 'mounted filesystems from /proc/mounts on hosts without findmnt',
  },
] as const satisfies readonly { id: string; command: string; why: string }[];

// ---------------------------------------------------------------------------------------------
// CPU

/** `lscpu` (LC_ALL=C) → CpuFact. The first occurrence of a key wins (hybrid CPUs list two). */
export function parseLscpu(output: string): CpuFact {
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^\s*([^:]+):\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) continue;
    const key = match[1].trim();
    if (!fields.has(key)) fields.set(key, match[2] ?? '');
  }
  const cpus = fields.get('CPU(s)');
  if (cpus === undefined) throw new ParseError('lscpu printed no CPU(s) line');
  return {
    model: optionalText(fields.get('Model name')),
    vendor: optionalText(fields.get('Vendor ID')),
    arch: optionalText(fields.get('Architecture')),
    sockets: optionalCount(fields.get('Socket(s)'), 'lscpu Socket(s)'),
    coresPerSocket: optionalCount(fields.get('Core(s) per socket'), 'lscpu Core(s) per socket'),
    threadsPerCore: optionalCount(fields.get('Thread(s) per core'), 'lscpu Thread(s) per core'),
    cpus: count(cpus, 'lscpu CPU(s)'),
  };
}

// The ARM implementer and part codes lscpu itself translates, for the common server/SBC cores.
const ARM_IMPLEMENTERS: Readonly<Record<string, string>> = {
  '0x41': 'ARM',
  '0x42': 'Broadcom',
  '0x43': 'Cavium',
  '0x46': 'Fujitsu',
  '0x48': 'HiSilicon',
  '0x4e': 'NVIDIA',
  '0x50': 'APM',
  '0x51': 'Qualcomm',
  '0x53': 'Samsung',
  '0x56': 'Marvell',
  '0x61': 'Apple',
  '0x69': 'Intel',
  '0xc0': 'Ampere',
};
const ARM_PARTS: Readonly<Record<string, string>> = {
  '0xd03': 'Cortex-A53',
  '0xd04': 'Cortex-A35',
  '0xd05': 'Cortex-A55',
  '0xd07': 'Cortex-A57',
  '0xd08': 'Cortex-A72',
  '0xd09': 'Cortex-A73',
  '0xd0a': 'Cortex-A75',
  '0xd0b': 'Cortex-A76',
  '0xd0c': 'Neoverse-N1',
  '0xd0d': 'Cortex-A77',
  '0xd40': 'Neoverse-V1',
  '0xd41': 'Cortex-A78',
  '0xd49': 'Neoverse-N2',
  '0xd4f': 'Neoverse-V2',
};

/**
 * `uname -m` followed by /proc/cpuinfo → CpuFact. Handles the x86 layout (one block per logical
 * CPU with physical id / cpu cores / siblings), ARM (implementer/part codes, no topology) and
 * s390x (a single header block with `# processors` and per-CPU `processor N:` lines).
 */
export function parseCpuinfo(output: string): CpuFact {
  const [archLine = '', ...rest] = output.split('\n');
  const arch = archLine.trim();
  if (!/^[\w.-]{1,32}$/.test(arch)) throw new ParseError('cpuinfo: first line is not uname -m');
  const first = new Map<string, string>();
  const physicalIds = new Set<string>();
  let processors = 0;
  for (const line of rest) {
    const match = /^([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) continue;
    const key = match[1].trim();
    const value = match[2] ?? '';
    if (key === 'processor') processors++;
    if (key === 'physical id') physicalIds.add(value);
    if (/^processor \d+$/.test(key) && !first.has('s390 machine')) {
      const machine = /machine\s*=\s*([0-9A-Za-z]+)/.exec(value)?.[1];
      if (machine) first.set('s390 machine', machine);
    }
    if (!first.has(key)) first.set(key, value);
  }
  const s390Count = first.get('# processors');
  const cpus = s390Count !== undefined ? count(s390Count, 'cpuinfo # processors') : processors;
  if (cpus === 0) throw new ParseError('/proc/cpuinfo lists no processors');

  const implementer = first.get('CPU implementer')?.toLowerCase();
  const part = first.get('CPU part')?.toLowerCase();
  const vendor =
    optionalText(first.get('vendor_id')) ??
    (implementer ? (ARM_IMPLEMENTERS[implementer] ?? implementer) : null);
  const model =
    optionalText(first.get('model name')) ??
    (implementer === '0x41' && part ? (ARM_PARTS[part] ?? null) : null) ??
    optionalText(first.get('s390 machine'));

  const coresPerSocket = optionalCount(first.get('cpu cores'), 'cpuinfo cpu cores');
  const siblings = optionalCount(first.get('siblings'), 'cpuinfo siblings');
  const threadsPerCore =
    coresPerSocket && siblings && siblings % coresPerSocket === 0
      ? siblings / coresPerSocket
      : null;
  return {
    model,
    vendor,
    arch,
    sockets: physicalIds.size > 0 ? physicalIds.size : null,
    coresPerSocket,
    threadsPerCore,
    cpus,
  };
}

// ---------------------------------------------------------------------------------------------
// Memory

/** MemTotal of /proc/meminfo, in bytes. */
export function parseMemTotal(meminfo: string): MemoryFact {
  const match = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(meminfo);
  if (!match) throw new ParseError('/proc/meminfo has no MemTotal line');
  return { totalBytes: count(match[1], 'MemTotal') * 1024 };
}

// ---------------------------------------------------------------------------------------------
// Block devices

type RawBlockDevice = {
  name: string;
  kname: string;
  type: string;
  size: string;
  model: string;
  serial: string;
  rota: string;
  rm: string;
  pkname: string;
};

/** `lsblk -J -b -o NAME,TYPE,SIZE,MODEL,SERIAL,ROTA,RM,PKNAME` (tree or list) → facts. */
export function parseLsblkJson(output: string): BlockDeviceFact[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new ParseError('lsblk -J printed invalid JSON');
  }
  const roots = isRecord(parsed) ? parsed.blockdevices : undefined;
  if (!Array.isArray(roots)) throw new ParseError('lsblk -J: no blockdevices array');
  const flat: RawBlockDevice[] = [];
  const walk = (nodes: unknown[], depth: number): void => {
    if (depth > 16) throw new ParseError('lsblk -J: device tree nested too deeply');
    for (const node of nodes) {
      if (!isRecord(node)) throw new ParseError('lsblk -J: a device is not an object');
      // util-linux < 2.33 prints every value as a string, later ones use numbers and booleans.
      flat.push({
        name: jsonScalar(node.name),
        kname: jsonScalar(node.kname),
        type: jsonScalar(node.type),
        size: jsonScalar(node.size),
        model: jsonScalar(node.model),
        serial: jsonScalar(node.serial),
        rota: jsonScalar(node.rota),
        rm: jsonScalar(node.rm),
        pkname: jsonScalar(node.pkname),
      });
      if (Array.isArray(node.children)) walk(node.children, depth + 1);
    }
  };
  walk(roots, 0);
  return blockDevices(flat);
}

/** `lsblk -P -b -o …` (KEY="value" pairs, \xHH escapes) or the /sys/block snippet → facts. */
export function parseLsblkPairs(output: string): BlockDeviceFact[] {
  const flat: RawBlockDevice[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const pairs = new Map<string, string>();
    const pattern = /([A-Z][A-Z:-]*)="((?:[^"\\]|\\.)*)"/g;
    let consumed = '';
    for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
      pairs.set(m[1] ?? '', decodeHexEscapes(m[2] ?? ''));
      consumed += m[0];
    }
    const name = pairs.get('NAME');
    if (
      name === undefined ||
      line.replace(/\s+/g, '').length !== consumed.replace(/\s+/g, '').length
    ) {
      throw new ParseError(`lsblk -P: unreadable line ${JSON.stringify(line.slice(0, 80))}`);
    }
    flat.push({
      name,
      kname: pairs.get('KNAME') ?? '',
      type: pairs.get('TYPE') ?? '',
      size: pairs.get('SIZE') ?? '',
      model: pairs.get('MODEL') ?? '',
      serial: pairs.get('SERIAL') ?? '',
      rota: pairs.get('ROTA') ?? '',
      rm: pairs.get('RM') ?? '',
      pkname: pairs.get('PKNAME') ?? '',
    });
  }
  return blockDevices(flat);
}

// Loop devices are images, not hardware, and snap refreshes create and drop them all the time.
const SKIPPED_BLOCK_TYPES = new Set(['loop']);

function blockDevices(flat: readonly RawBlockDevice[]): BlockDeviceFact[] {
  // PKNAME is the parent's kernel name (dm-0); facts are keyed by NAME (vg0-root), which unlike
  // dm-N numbering survives a reboot.
  const nameOfKernelName = new Map(
    flat.map((raw) => [deviceName(raw.kname), deviceName(raw.name)]),
  );
  const rows = flat.map((raw) => {
    const name = identifier(deviceName(raw.name), 'block device name');
    const pkname = deviceName(raw.pkname);
    const parent =
      pkname === '' ? null : identifier(nameOfKernelName.get(pkname) ?? pkname, 'block parent');
    return { raw, name, parent };
  });
  // Skip loop/RAM disks and everything stacked on them (partitions of a loop image…).
  const skipped = new Set(
    rows
      .filter(({ raw, name }) => SKIPPED_BLOCK_TYPES.has(raw.type) || /^ram\d+$/.test(name))
      .map(({ name }) => name),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const { name, parent } of rows) {
      if (!skipped.has(name) && parent !== null && skipped.has(parent)) {
        skipped.add(name);
        grew = true;
      }
    }
  }
  const byName = new Map<string, BlockDeviceFact>();
  for (const { raw, name, parent } of rows) {
    if (skipped.has(name)) continue;
    const fact: BlockDeviceFact = {
      name,
      type: identifier(raw.type, `type of ${name}`),
      sizeBytes: count(raw.size, `size of ${name}`),
      model: optionalText(raw.model),
      serial: optionalText(raw.serial),
      rotational: flag(raw.rota, `ROTA of ${name}`),
      removable: flag(raw.rm, `RM of ${name}`),
      parent,
    };
    const seen = byName.get(name);
    // A device on several parents (LVM over two PVs, multipath) is listed once per parent.
    if (!seen || (parent !== null && (seen.parent === null || parent < seen.parent))) {
      byName.set(name, fact);
    }
  }
  return [...byName.values()].sort((a, b) => compare(a.name, b.name));
}

// lsblk -P of util-linux < 2.29 prints NAME and PKNAME as paths (/dev/sda1).
function deviceName(value: string): string {
  return value.replace(/^\/dev\/(?:mapper\/)?/, '');
}

function flag(value: string, field: string): boolean | null {
  if (value === '' || value === 'null') return null;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ParseError(`${field} is not a flag: ${JSON.stringify(value.slice(0, 20))}`);
}

// ---------------------------------------------------------------------------------------------
// Mounts

// Kernel and runtime filesystems: not storage an operator configured, and several of them
// (tmpfs under /run/user, autofs fd= options) change with every login or boot.
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  'autofs',
  'binfmt_misc',
  'binder',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fuse.gvfsd-fuse',
  'fuse.lxcfs',
  'fuse.portal',
  'fusectl',
  'hugetlbfs',
  'mqueue',
  'nfsd',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rootfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'usbfs',
]);

/**
 * Whether a mount is kernel/runtime plumbing rather than storage. Container runtimes mount an
 * overlay per running container and snapd a squashfs per snap revision: those come and go with
 * containers and refreshes, so only an overlay at `/` (the host itself is a container) is kept.
 */
export function isPseudoMount(fstype: string, mountpoint: string): boolean {
  if (PSEUDO_FILESYSTEMS.has(fstype)) return true;
  if ((fstype === 'overlay' || fstype === 'aufs') && mountpoint !== '/') return true;
  if ((fstype === 'squashfs' || fstype === 'fuse.snapfuse') && mountpoint.startsWith('/snap/')) {
    return true;
  }
  return false;
}

/** `findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS` (raw: one space between, \xHH escapes). */
export function parseFindmnt(output: string): MountFact[] {
  return mounts(output, (fields) => {
    if (fields.length !== 4) return undefined;
    const [target = '', source = '', fstype = '', options = ''] = fields.map(decodeHexEscapes);
    return { target, source, fstype, options };
  });
}

/** /proc/mounts: `device mountpoint fstype options 0 0` with octal escapes (\040 = space). */
export function parseProcMounts(output: string): MountFact[] {
  return mounts(output, (fields) => {
    if (fields.length !== 6) return undefined;
    const [source = '', target = '', fstype = '', options = ''] = fields.map(decodeOctalEscapes);
    return { target, source, fstype, options };
  });
}

type MountRow = { target: string; source: string; fstype: string; options: string };

function mounts(output: string, row: (fields: string[]) => MountRow | undefined): MountFact[] {
  const byTarget = new Map<string, MountFact>();
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const parsed = row(line.split(' '));
    if (!parsed || parsed.target === '' || parsed.fstype === '') {
      throw new ParseError(`unreadable mount line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const mountpoint = identifier(parsed.target, 'mountpoint');
    // Over-mounts: the later entry in the mount table is the one that is visible.
    byTarget.delete(mountpoint);
    if (isPseudoMount(parsed.fstype, mountpoint)) continue;
    byTarget.set(mountpoint, {
      mountpoint,
      device: text(parsed.source),
      fstype: text(parsed.fstype),
      options: text(parsed.options),
    });
  }
  return [...byTarget.values()].sort((a, b) => compare(a.mountpoint, b.mountpoint));
}

// ---------------------------------------------------------------------------------------------
// The collector

export const hardwareCollector: Collector = {
  name: 'hardware',
  description: 'CPU, memory, block devices and mounted filesystems',
  kinds: [CPU_KIND, MEMORY_KIND, BLOCK_DEVICE_KIND, MOUNT_KIND],
  commands: hardwareCommands,
  parse(sections: Sections) {
    const cpu = withFallback(
      sections,
      'hardware.lscpu',
      parseLscpu,
      'hardware.cpuinfo',
      parseCpuinfo,
    );
    const memory = parseMemTotal(okOutput(sections, 'hardware.meminfo'));
    const devices = withFallback(
      sections,
      'hardware.lsblk',
      (out) => (out.trimStart().startsWith('{') ? parseLsblkJson(out) : parseLsblkPairs(out)),
      'hardware.sysblock',
      parseLsblkPairs,
    );
    const mounted = withFallback(
      sections,
      'hardware.findmnt',
      parseFindmnt,
      'hardware.mounts',
      parseProcMounts,
    );
    const facts: Fact[] = [
      { kind: CPU_KIND, key: 'cpu', value: cpu },
      { kind: MEMORY_KIND, key: 'memory', value: memory },
      ...devices.map((d) => ({ kind: BLOCK_DEVICE_KIND, key: d.name, value: d })),
      ...mounted.map((m) => ({ kind: MOUNT_KIND, key: m.mountpoint, value: m })),
    ];
    return { facts };
  },
};

/** The primary tool's answer, or — only when that tool is absent — the fallback's. */
function withFallback<T>(
  sections: Sections,
  primaryId: string,
  primary: (output: string) => T,
  fallbackId: string,
  fallback: (output: string) => T,
): T {
  if (sections.get(primaryId)?.exitCode === NOT_FOUND && sections.has(fallbackId)) {
    return fallback(okOutput(sections, fallbackId));
  }
  return primary(okOutput(sections, primaryId));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function optionalText(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' || trimmed === '-' ? null : text(trimmed);
}

function optionalCount(value: string | undefined, field: string): number | null {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' || trimmed === '-' ? null : count(trimmed, field);
}

function jsonScalar(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ParseError('lsblk -J: a column is not a scalar');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Escaped bytes are decoded as UTF-8 runs, so `\xc3\xa9` becomes é (and a broken sequence
// becomes U+FFFD, which identifier() then refuses).
function decodeHexEscapes(value: string): string {
  return value.replace(/(?:\\x[0-9a-fA-F]{2})+/g, (run) =>
    Buffer.from(run.replace(/\\x/g, ''), 'hex').toString('utf8'),
  );
}

function decodeOctalEscapes(value: string): string {
  return value.replace(/(?:\\[0-7]{3})+/g, (run) =>
    Buffer.from(
      run
        .split('\\')
        .slice(1)
        .map((oct) => Number.parseInt(oct, 8)),
    ).toString('utf8'),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
