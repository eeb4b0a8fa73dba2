// The recorded outputs the simulated hosts answer with, loaded once per fleet. Everything a
// host says comes from a real recording (test/fixtures: Debian 12, exactly these commands;
// ../shared/fixtures: other distributions' tool output converted to the command's format);
// a section with no recording for a distribution answers 127, as a missing tool does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type CounterTemplate,
  diskstatsTemplate,
  netdevTemplate,
  statTemplate,
} from './counters.ts';
import type { Answer } from './frame.ts';
import { apkFormat, dpkgFormat, type PackageFormat, type Row, rpmFormat } from './package-db.ts';

export const distros = ['debian-12', 'centos-7', 'alpine-3'] as const;
export type Distro = (typeof distros)[number];

export type TextAnswer = Answer & { stdout: string };

export interface NetworkTemplates {
  addr: string;
  route4: string;
  route6: string;
}

export type ServiceTemplate =
  | { kind: 'sysv'; flavour: string; scripts: readonly (readonly [string, string])[] }
  | { kind: 'systemd'; units: readonly string[]; unitFiles: string };

export interface Profile {
  distro: Distro;
  /** Answers that are the same on every host of the distribution. */
  fixed: ReadonlyMap<string, TextAnswer>;
  packages: { format: PackageFormat; rows: readonly Row[] };
  services: ServiceTemplate | null;
  network: NetworkTemplates;
  /** users.authorized-keys run as root and as the login user; null: no recording. */
  authorizedKeys: { root: TextAnswer; user: TextAnswer } | null;
  /** listeners.ss as root (with processes); null: no ss. */
  ss: string | null;
  /** df outputs of two samples (gauges alternate between them). */
  df: readonly [string, string];
  dfInodes: readonly [string, string];
  /** The kernel (uname -r -m, os.kernels) follows the installed kernel package (rpm hosts). */
  kernelFromPackages: boolean;
}

export interface Recordings {
  profiles: Readonly<Record<Distro, Profile>>;
  /** A second firewall state (docker-like nft + iptables rules) some Debian hosts have. */
  dockerFirewall: ReadonlyMap<string, TextAnswer>;
  metrics: {
    stat: CounterTemplate;
    netdev: CounterTemplate;
    diskstats: CounterTemplate;
    uptime: string;
    recordedUptime: number;
    loadavg: readonly [string, string];
    meminfo: readonly [string, string];
    blockdevs: string;
  };
}

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const SHARED = path.resolve(import.meta.dirname, '../../../shared/fixtures');

const ok = (stdout: string): TextAnswer => ({ stdout, rc: 0, stderr: '' });
const missing = (): TextAnswer => ({ stdout: '', rc: 127, stderr: '' });

function read(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

/** The Debian recording of section `<collector>.<what>`, with its recorded exit status. */
function debianAnswers(
  collector: string,
  files: Record<string, string>,
  exitCodes = true,
): [string, TextAnswer][] {
  const codes: Record<string, { exitCode: number; stderrTail: string }> = exitCodes
    ? JSON.parse(read(FIXTURES, `${collector}/debian-12__exit-codes.json`))
    : {};
  return Object.entries(files).map(([what, file]) => {
    const id = `${collector}.${what}`;
    const code = codes[id];
    const stdout = read(FIXTURES, `${collector}/${file}`);
    return [id, { stdout, rc: code?.exitCode ?? 0, stderr: code?.stderrTail ?? '' }];
  });
}

/** `rpm -qai` records converted to the packages.rpm queryformat (same fields, tab-separated). */
export function rpmRowsFromQueryInfo(text: string): Row[] {
  const rows: Row[] = [];
  const label =
    /^(Name|Epoch|Version|Release|Architecture|Install Date|Source RPM|Vendor)\s*: (.*)$/;
  let record: Map<string, string> | undefined;
  const flush = () => {
    if (!record) return;
    const field = (name: string) => record?.get(name) ?? '(none)';
    const installed = Date.parse(field('Install Date'));
    if (!Number.isFinite(installed)) throw new Error(`rpm -qai: bad date for ${field('Name')}`);
    rows.push([
      field('Name'),
      field('Epoch'),
      field('Version'),
      field('Release'),
      field('Architecture'),
      field('Source RPM'),
      field('Vendor'),
      String(installed / 1000),
    ]);
  };
  for (const line of text.split('\n')) {
    const match = label.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    if (match[1] === 'Name') {
      flush();
      record = new Map();
    }
    record?.set(match[1], match[2]);
  }
  flush();
  return rows;
}

/** The apk snippet's output (P: V: A: o: records) as rows. */
export function apkRows(text: string): Row[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const field = (key: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${key}:`))
          ?.slice(2) ?? '';
      return [field('P'), field('V'), field('A'), field('o')];
    });
}

/**
 * `systemctl -a` (all unit types, header, bullets, legend) reduced to what
 * `systemctl list-units --type=service --all --no-legend --plain` prints: service rows only,
 * without the two-column bullet gutter.
 */
export function serviceRows(listUnits: string): string[] {
  return listUnits
    .split('\n')
    .map((line) => line.slice(2))
    .filter((line) => /^\S+\.service\s/.test(line));
}

/** `systemctl list-unit-files` without header and footer, service unit files only. */
export function serviceFileRows(listUnitFiles: string): string {
  return listUnitFiles
    .split('\n')
    .filter((line) => /^\S+\.service\s/.test(line))
    .map((line) => `${line}\n`)
    .join('');
}

export function loadRecordings(): Recordings {
  const fixture = (file: string) => read(FIXTURES, file);
  const shared = (file: string) => read(SHARED, file);

  const debianFixed = new Map<string, TextAnswer>([
    ...debianAnswers('os', {
      release: 'debian-12__release.txt',
      uname: 'debian-12__uname.txt',
      virt: 'debian-12__virt.txt',
      dmi: 'debian-12__dmi.txt',
      'dmi-private': 'debian-12__dmi-private.txt',
      kernels: 'debian-12__kernels.txt',
      'reboot-required': 'debian-12__reboot-required.txt',
    }),
    ...debianAnswers('packages', {
      rpm: 'debian-12__rpm.txt',
      apk: 'debian-12__apk.txt',
      pacman: 'debian-12__pacman.txt',
    }),
    ...debianAnswers('services', {
      units: 'debian-12__units.txt',
      'unit-files': 'debian-12__unit-files.txt',
    }),
    ...debianAnswers('users', { passwd: 'debian-12__passwd.txt', group: 'debian-12__group.txt' }),
    ...debianAnswers(
      'hardware',
      {
        lscpu: 'debian-12__lscpu.txt',
        meminfo: 'debian-12__meminfo.txt',
        lsblk: 'debian-12__lsblk.txt',
        findmnt: 'debian-12__findmnt.txt',
      },
      false,
    ),
    ...debianAnswers('network', { resolv: 'debian-12__resolv.txt' }, false),
    ...debianAnswers(
      'firewall',
      { nft: 'debian-12__nft.txt', iptables: 'debian-12__iptables.txt' },
      false,
    ),
    ['firewall.ip6tables', ok(fixture('firewall/debian-12__ip6tables.txt'))],
    // Each fallback snippet starts with `command -v <primary tool> && exit 0`: where the
    // primary tool answered, the fallback prints nothing and succeeds.
    ['hardware.cpuinfo', ok('')],
    ['hardware.sysblock', ok('')],
    ['hardware.mounts', ok('')],
  ]);
  const debianNetwork: NetworkTemplates = {
    addr: fixture('network/debian-12__addr.txt'),
    route4: fixture('network/debian-12__route4.txt'),
    route6: fixture('network/debian-12__route6.txt'),
  };
  const df = [fixture('metrics/debian-12-t0__df.txt'), fixture('metrics/debian-12-t1__df.txt')];
  const dfInodes = [
    fixture('metrics/debian-12-t0__dfinodes.txt'),
    fixture('metrics/debian-12-t1__dfinodes.txt'),
  ];
  const [initFlavour = '', ...initLines] = fixture('services/debian-12__init-scripts.txt')
    .trimEnd()
    .split('\n');

  const debian: Profile = {
    distro: 'debian-12',
    fixed: debianFixed,
    packages: {
      format: dpkgFormat,
      rows: fixture('packages/debian-12__dpkg.txt')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')),
    },
    services: {
      kind: 'sysv',
      flavour: initFlavour,
      scripts: initLines.map((line) => {
        const space = line.lastIndexOf(' ');
        return [line.slice(0, space), line.slice(space + 1)] as const;
      }),
    },
    network: debianNetwork,
    authorizedKeys: {
      root: ok(fixture('users/debian-12__authorized-keys.txt')),
      user: ok(fixture('users/debian-12-as-nobody__authorized-keys.txt')),
    },
    ss: fixture('listeners/debian-12__ss.txt'),
    df: [df[0] ?? '', df[1] ?? ''],
    dfInodes: [dfInodes[0] ?? '', dfInodes[1] ?? ''],
    kernelFromPackages: false,
  };

  // CentOS 7.7: rpm, systemd, passwd and group all recorded on one machine (jc's fixtures).
  // Its iproute2 predates `ip -j`, so the text branch of the network snippets answers; its
  // lsblk predates -J, so the -P branch does; there is no nft.
  const centosFixed = new Map<string, TextAnswer>([
    ...[...debianFixed].filter(([id]) => id.startsWith('hardware.') || id === 'network.resolv'),
    ['os.release', ok(`/etc/os-release\n${shared('os-release/centos-7__jc.txt')}`)],
    ['users.passwd', ok(shared('users/centos-7.7__jc_passwd.txt'))],
    ['users.group', ok(shared('users/centos-7.7__jc_group.txt'))],
    ['hardware.lsblk', ok(fixture('hardware/debian-12__lsblk-P.txt'))],
    ['services.init-scripts', ok('')],
    ['firewall.iptables', ok(fixture('firewall/debian-12__iptables.txt'))],
    ['firewall.ip6tables', ok(fixture('firewall/debian-12__ip6tables.txt'))],
    ['packages.apk', missing()],
    ['packages.pacman', missing()],
  ]);
  const centos: Profile = {
    distro: 'centos-7',
    fixed: centosFixed,
    packages: {
      format: rpmFormat,
      rows: rpmRowsFromQueryInfo(shared('packages/centos-7.7__jc_rpm-qai.txt')),
    },
    services: {
      kind: 'systemd',
      units: serviceRows(shared('services/centos-7.7__jc_systemctl-list-units.txt')),
      unitFiles: serviceFileRows(shared('services/centos-7.7__jc_systemctl-list-unit-files.txt')),
    },
    network: {
      addr: fixture('network/debian-12__addr-text.txt'),
      route4: fixture('network/debian-12__route4-text.txt'),
      route6: fixture('network/debian-12__route6-text.txt'),
    },
    authorizedKeys: null,
    ss: fixture('listeners/debian-12__ss.txt'),
    df: debian.df,
    dfInodes: debian.dfInodes,
    kernelFromPackages: true,
  };

  // Alpine: the apk database of a real Alpine image; userland answers from the BusyBox
  // recordings (no lscpu, lsblk, findmnt, ss; BusyBox ip without -j); no systemd.
  const busyboxDf = fixture('metrics/debian-12-busybox__df.txt');
  const busyboxDfInodes = fixture('metrics/debian-12-busybox__dfinodes.txt');
  const alpine: Profile = {
    distro: 'alpine-3',
    fixed: new Map<string, TextAnswer>([
      ['os.release', ok(`/etc/os-release\n${shared('os-release/alpine-3.23__python-distro.txt')}`)],
      ['os.uname', debianFixed.get('os.uname') ?? missing()],
      ['os.kernels', debianFixed.get('os.kernels') ?? missing()],
      ['hardware.cpuinfo', ok(fixture('hardware/debian-12-busybox__cpuinfo.txt'))],
      ['hardware.meminfo', debianFixed.get('hardware.meminfo') ?? missing()],
      ['hardware.sysblock', ok(fixture('hardware/debian-12-busybox__sysblock.txt'))],
      ['hardware.mounts', ok(fixture('hardware/debian-12-busybox__mounts.txt'))],
      ['network.resolv', debianFixed.get('network.resolv') ?? missing()],
    ]),
    packages: { format: apkFormat, rows: apkRows(fixture('packages/alpine-scalibr__apk.txt')) },
    services: null,
    network: {
      addr: fixture('network/debian-12-busybox__addr.txt'),
      route4: fixture('network/debian-12-busybox__route4.txt'),
      route6: fixture('network/debian-12-busybox__route6.txt'),
    },
    authorizedKeys: null,
    ss: null,
    df: [busyboxDf, busyboxDf],
    dfInodes: [busyboxDfInodes, busyboxDfInodes],
    kernelFromPackages: false,
  };

  const uptime = fixture('metrics/debian-12-t0__uptime.txt');
  return {
    profiles: { 'debian-12': debian, 'centos-7': centos, 'alpine-3': alpine },
    dockerFirewall: new Map([
      ['firewall.nft', ok(fixture('firewall/debian-12-netns__nft.txt'))],
      ['firewall.iptables', ok(fixture('firewall/debian-12-netns__iptables.txt'))],
      ['firewall.ip6tables', ok(fixture('firewall/debian-12-netns__ip6tables.txt'))],
    ]),
    metrics: {
      stat: statTemplate(fixture('metrics/debian-12-t0__stat.txt')),
      netdev: netdevTemplate(fixture('metrics/debian-12-t0__netdev.txt')),
      diskstats: diskstatsTemplate(fixture('metrics/debian-12-t0__diskstats.txt')),
      uptime,
      recordedUptime: Number(uptime.split(' ')[0]),
      loadavg: [
        fixture('metrics/debian-12-t0__loadavg.txt'),
        fixture('metrics/debian-12-t1__loadavg.txt'),
      ],
      meminfo: [
        fixture('metrics/debian-12-t0__meminfo.txt'),
        fixture('metrics/debian-12-t1__meminfo.txt'),
      ],
      blockdevs: fixture('metrics/debian-12-t0__blockdevs.txt'),
    },
  };
}
