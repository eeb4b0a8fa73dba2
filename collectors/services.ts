// The services collector: systemd service units (runtime state merged with unit-file
// enablement), or the /etc/init.d scripts where systemd is not the running init.
import { ParseError } from './errors.ts';
import { identifier, text } from './sanitize.ts';
import { NOT_FOUND, okOutput } from './section.ts';
import type { Collector, CollectorOutput, Fact, Sections } from './types.ts';

export const serviceManagers = ['systemd', 'sysv', 'openrc'] as const;
export type ServiceManager = (typeof serviceManagers)[number];

export type ServiceFact = {
  /** Full unit name (`sshd.service`, escapes such as `\x2d` kept) or init script name. */
  readonly name: string;
  readonly description: string | null;
  /** systemd LOAD: loaded, not-found, masked, error…; 'not-loaded' for a unit file systemd
   * has not loaded (nothing needs it now); null under sysv/openrc. */
  readonly load: string | null;
  /** systemd ACTIVE: active, inactive, failed…; null where unknown (templates, sysv). */
  readonly active: string | null;
  /** systemd SUB: running, exited, dead…; null where unknown. */
  readonly sub: string | null;
  /** Unit-file state (enabled, disabled, static, masked, indirect, generated…). sysv: 'enabled'
   * with a start link in runlevel S or 2-5, openrc: in any runlevel, else 'disabled'; null when
   * unknown. */
  readonly enabled: string | null;
  readonly manager: ServiceManager;
};

export const SERVICE_KIND = 'service';

// The guard: inside a container or chroot without systemd as init, systemctl prints "System
// has not been booted with systemd" and exits 1; that host is simply not a systemd host.
const SYSTEMD_RUNNING = '[ -d /run/systemd/system ] || exit 127; ';

// --full: never ellipsize long unit names (systemd does it when it thinks output is narrow).
const UNITS_COMMAND =
  `${SYSTEMD_RUNNING}systemctl list-units --type=service --all ` +
  '--no-legend --no-pager --plain --full';
const UNIT_FILES_COMMAND = `${SYSTEMD_RUNNING}systemctl list-unit-files --type=service --no-legend --no-pager --full`;

// Runs only where systemd is not running. First line: the init flavour the snippet found;
// then `<script> <enabled|disabled|unknown>` for each executable script in /etc/init.d.
const INIT_SCRIPTS_COMMAND =
  '[ -d /run/systemd/system ] && exit 0; [ -d /etc/init.d ] || exit 127; ' +
  'if [ -d /etc/runlevels ]; then m=openrc; ' +
  'elif [ -d /etc/rc2.d ] || [ -d /etc/rc.d/rc3.d ]; then m=sysv; else m=sysv-nolinks; fi; ' +
  'echo "$m"; for f in /etc/init.d/*; do [ -f "$f" ] && [ -x "$f" ] || continue; ' +
  'n=${f##*/}; e=unknown; case $m in ' +
  'openrc) e=disabled; for l in /etc/runlevels/*/"$n"; do [ -e "$l" ] && e=enabled; done;; ' +
  'sysv) e=disabled; for l in /etc/rc[2345S].d/S??"$n" /etc/rc.d/rc[2345].d/S??"$n"; do ' +
  '[ -e "$l" ] && e=enabled; done;; esac; printf \'%s %s\\n\' "$n" "$e"; done';

export const servicesCollector: Collector = {
  name: 'services',
  description: 'Services: systemd units with their state and enablement, else init.d scripts',
  kinds: [SERVICE_KIND],
  commands: [
    {
      id: 'services.units',
      command: UNITS_COMMAND,
      why: 'systemd service units with load, active and sub state',
    },
    {
      id: 'services.unit-files',
      command: UNIT_FILES_COMMAND,
      why: 'Enablement of every installed service unit file, loaded or not',
    },
    {
      id: 'services.init-scripts',
      command: INIT_SCRIPTS_COMMAND,
      why: 'Init scripts and their runlevel links where systemd is not the running init',
    },
  ],
  parse: parseServices,
};

function parseServices(sections: Sections): CollectorOutput {
  if (sections.get('services.units')?.exitCode !== NOT_FOUND) {
    const units = parseSystemctlUnits(okOutput(sections, 'services.units'));
    const files = parseSystemctlUnitFiles(okOutput(sections, 'services.unit-files'));
    const services = mergeSystemdServices(units, files);
    // A running systemd always has service units (its own, at least): none means bad output.
    if (services.length === 0) throw new ParseError('services: systemctl listed no services');
    return { facts: serviceFacts(services) };
  }
  const scripts = okOutput(sections, 'services.init-scripts');
  if (scripts.trim() === '') {
    // The snippet prints nothing only when it found systemd running after all.
    throw new ParseError('services: systemctl reported no systemd but /run/systemd/system exists');
  }
  return { facts: serviceFacts(parseInitScripts(scripts)) };
}

export type SystemdUnit = {
  readonly name: string;
  readonly load: string;
  readonly active: string;
  readonly sub: string;
  readonly description: string;
};

/** `systemctl list-units` rows (with or without --plain/--no-legend); only `.service` units. */
export function parseSystemctlUnits(stdout: string): SystemdUnit[] {
  const units: SystemdUnit[] = [];
  for (const row of tableRows(stdout, 'UNIT ')) {
    // Without --plain, failed and not-found units carry a bullet: `●` (or `*` on old systemd).
    const line = row.replace(/^\s*(?:[●*]\s+)?/, '');
    const match = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!match?.[1] || !match[2] || !match[3] || !match[4]) {
      throw new ParseError(
        `systemctl list-units: unexpected row ${JSON.stringify(row.slice(0, 80))}`,
      );
    }
    if (!match[1].endsWith('.service') && !match[1].endsWith('…')) continue;
    units.push({
      name: identifier(match[1], 'unit name'),
      load: identifier(match[2], 'unit load state'),
      active: identifier(match[3], 'unit active state'),
      sub: identifier(match[4], 'unit sub state'),
      description: text((match[5] ?? '').trim()),
    });
  }
  return units;
}

export type SystemdUnitFile = { readonly name: string; readonly state: string };

/** `systemctl list-unit-files` rows: name, state and (systemd ≥ 245) the vendor preset. */
export function parseSystemctlUnitFiles(stdout: string): SystemdUnitFile[] {
  const files: SystemdUnitFile[] = [];
  for (const row of tableRows(stdout, 'UNIT FILE ')) {
    const match = /^(\S+)\s+(\S+)(?:\s+\S+)?\s*$/.exec(row);
    if (!match?.[1] || !match[2]) {
      throw new ParseError(
        `systemctl list-unit-files: unexpected row ${JSON.stringify(row.slice(0, 80))}`,
      );
    }
    if (!match[1].endsWith('.service')) continue;
    files.push({
      name: identifier(match[1], 'unit file name'),
      state: identifier(match[2], 'unit file state'),
    });
  }
  return files;
}

/** Data rows of a systemctl table: without the header line and the legend after a blank line. */
function tableRows(stdout: string, header: string): string[] {
  const rows: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') {
      if (rows.length > 0) break;
      continue;
    }
    if (rows.length === 0 && line.trimStart().startsWith(header)) continue;
    rows.push(line);
  }
  return rows;
}

const TEMPLATE = /@\.service$/;
// Unit-file states a template passes on to its instances that have no entry of their own.
const INHERITED_FROM_TEMPLATE = new Set(['static', 'masked']);

/**
 * Merged by name. A unit file nothing has loaded appears with load 'not-loaded' (it is then
 * certainly inactive/dead). Templates (`getty@.service`) cannot run, so active/sub are null;
 * they are kept because their state is the enablement of their instances. Aliases
 * (`dbus-org.freedesktop.Avahi.service`) are other names of a unit listed under its own name,
 * so they are not separate services. A name ellipsized by systemctl (`…`) is resolved to the
 * one unit file it is a prefix of, or dropped: it cannot be a key.
 */
export function mergeSystemdServices(
  units: readonly SystemdUnit[],
  files: readonly SystemdUnitFile[],
): ServiceFact[] {
  const states = new Map(files.map((file) => [file.name, file.state]));
  const services = new Map<string, ServiceFact>();
  for (const unit of units) {
    const name = unit.name.endsWith('…') ? resolveEllipsized(unit.name, states) : unit.name;
    if (name === null || services.has(name)) continue;
    services.set(name, {
      name,
      description: unit.description || null,
      load: unit.load,
      active: unit.active,
      sub: unit.sub,
      enabled: states.get(name) ?? templateState(name, states),
      manager: 'systemd',
    });
  }
  for (const [name, state] of states) {
    if (services.has(name) || state === 'alias') continue;
    const template = TEMPLATE.test(name);
    services.set(name, {
      name,
      description: null,
      load: 'not-loaded',
      active: template ? null : 'inactive',
      sub: template ? null : 'dead',
      enabled: state,
      manager: 'systemd',
    });
  }
  return [...services.values()];
}

function resolveEllipsized(name: string, states: ReadonlyMap<string, string>): string | null {
  const prefix = name.slice(0, -1);
  const matches = [...states.keys()].filter((file) => file.startsWith(prefix));
  return matches.length === 1 ? (matches[0] ?? null) : null;
}

function templateState(name: string, states: ReadonlyMap<string, string>): string | null {
  const at = name.indexOf('@');
  if (at === -1) return null;
  const state = states.get(`${name.slice(0, at)}@.service`);
  return state !== undefined && INHERITED_FROM_TEMPLATE.has(state) ? state : null;
}

// Executable files in /etc/init.d that are the init system's own machinery, not services.
const NOT_SERVICES = new Set(['rc', 'rcS', 'rc.local', 'skeleton', 'functions', 'README']);

/** The init-scripts snippet: a flavour line, then `<script> <enabled|disabled|unknown>`. */
export function parseInitScripts(stdout: string): ServiceFact[] {
  const [flavour, ...lines] = stdout.split('\n');
  if (flavour !== 'openrc' && flavour !== 'sysv' && flavour !== 'sysv-nolinks') {
    throw new ParseError(`init scripts: unexpected first line ${JSON.stringify(flavour)}`);
  }
  const services: ServiceFact[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    const state = line.slice(space + 1);
    if (space <= 0 || (state !== 'enabled' && state !== 'disabled' && state !== 'unknown')) {
      throw new ParseError(`init scripts: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const name = identifier(line.slice(0, space), 'init script name');
    if (NOT_SERVICES.has(name)) continue;
    services.push({
      name,
      description: null,
      load: null,
      active: null,
      sub: null,
      enabled: state === 'unknown' ? null : state,
      manager: flavour === 'openrc' ? 'openrc' : 'sysv',
    });
  }
  return services;
}

function serviceFacts(services: readonly ServiceFact[]): Fact<ServiceFact>[] {
  const facts = new Map<string, Fact<ServiceFact>>();
  for (const service of services) {
    if (!facts.has(service.name)) {
      facts.set(service.name, { kind: SERVICE_KIND, key: service.name, value: service });
    }
  }
  return [...facts.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
