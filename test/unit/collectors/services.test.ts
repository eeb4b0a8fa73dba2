import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import {
  mergeSystemdServices,
  parseInitScripts,
  parseSystemctlUnitFiles,
  parseSystemctlUnits,
  type ServiceFact,
  servicesCollector,
} from '../../../collectors/services.ts';
import type { Fact, Section, Sections } from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures/services');
const own = path.resolve(import.meta.dirname, '../../fixtures/services');
const ownFile = (name: string): string => readFileSync(path.join(own, name), 'utf8');
const sharedFile = (name: string): string => readFileSync(path.join(shared, name), 'utf8');

/** A recording made by running every command of the collector on one host. */
function recorded(prefix: string): Record<string, Partial<Section>> {
  const exits = JSON.parse(ownFile(`${prefix}__exit-codes.json`));
  const outputs: Record<string, Partial<Section>> = {};
  for (const { id } of servicesCollector.commands) {
    const what = id.slice(id.indexOf('.') + 1);
    outputs[id] = {
      stdout: ownFile(`${prefix}__${what}.txt`),
      exitCode: exits[id].exitCode,
      stderrTail: exits[id].stderrTail,
    };
  }
  return outputs;
}

function facts(sections: Sections): Fact<ServiceFact>[] {
  return (servicesCollector.parse(sections).facts ?? []) as Fact<ServiceFact>[];
}

const systemd = (units: string, unitFiles: string): Sections =>
  sectionsOf({
    'services.units': units,
    'services.unit-files': unitFiles,
    'services.init-scripts': '',
  });

describe('Debian 12 recording: systemd installed but not running (container)', () => {
  const result = facts(sectionsOf(recorded('debian-12')));

  it('falls back to /etc/init.d with runlevel links as enablement', () => {
    expect(result.map((fact) => fact.key)).toEqual([
      'dbus',
      'hwclock.sh',
      'postgresql',
      'procps',
      'ssh',
      'sudo',
      'udev',
      'x11-common',
    ]);
    expect(result.find((fact) => fact.key === 'ssh')?.value).toEqual({
      name: 'ssh',
      description: null,
      load: null,
      active: null,
      sub: null,
      enabled: 'enabled',
      manager: 'sysv',
    });
  });

  it('records that the systemd sections stood down', () => {
    const sections = recorded('debian-12');
    expect(sections['services.units']?.exitCode).toBe(127);
    expect(sections['services.unit-files']?.exitCode).toBe(127);
  });
});

describe('systemctl list-unit-files (systemd 252, recorded on Debian 12)', () => {
  const files = parseSystemctlUnitFiles(
    ownFile('debian-12-offline__systemctl-list-unit-files.txt'),
  );

  it('reads name and state past the vendor preset column', () => {
    expect(files).toHaveLength(119);
    expect(files.find((f) => f.name === 'cryptdisks.service')?.state).toBe('masked');
    expect(files.find((f) => f.name === 'avahi-daemon.service')?.state).toBe('enabled');
  });

  it('merges: aliases are not services, templates have no runtime state', () => {
    const merged = mergeSystemdServices([], files);
    // 119 unit files, 11 of them aliases (sshd.service → ssh.service, …).
    expect(merged).toHaveLength(108);
    expect(merged.some((s) => s.name === 'sshd.service')).toBe(false);
    expect(merged.find((s) => s.name === 'getty@.service')).toEqual({
      name: 'getty@.service',
      description: null,
      load: 'not-loaded',
      active: null,
      sub: null,
      enabled: 'enabled',
      manager: 'systemd',
    });
    expect(merged.find((s) => s.name === 'ssh.service')).toMatchObject({
      load: 'not-loaded',
      active: 'inactive',
      sub: 'dead',
      enabled: 'enabled',
    });
  });
});

describe('CentOS 7.7 (systemd 219: header, legend, ● bullets, no preset column)', () => {
  const result = facts(
    systemd(
      sharedFile('centos-7.7__jc_systemctl-list-units.txt'),
      sharedFile('centos-7.7__jc_systemctl-list-unit-files.txt'),
    ),
  );
  const byKey = new Map(result.map((fact) => [fact.key, fact.value]));

  it('lists loaded services and unit files nothing loaded', () => {
    expect(result).toHaveLength(174);
    expect(result.filter((f) => f.value.load === 'not-loaded')).toHaveLength(76);
  });

  it('merges state and enablement by name', () => {
    expect(byKey.get('sshd.service')).toEqual({
      name: 'sshd.service',
      description: 'OpenSSH server daemon',
      load: 'loaded',
      active: 'active',
      sub: 'running',
      enabled: 'enabled',
      manager: 'systemd',
    });
    // A unit something refers to but that has no file: listed with its bullet stripped.
    expect(byKey.get('cloud-init.service')).toMatchObject({
      load: 'not-found',
      active: 'inactive',
      enabled: null,
    });
    // An instance of an enabled template: its own enablement is unknown (not listed).
    expect(byKey.get('getty@tty1.service')).toMatchObject({ sub: 'running', enabled: null });
    expect(byKey.get('sshd@.service')).toMatchObject({ load: 'not-loaded', enabled: 'static' });
  });

  it('drops the legend', () => {
    expect(result.some((f) => /LOAD|loaded units listed/.test(f.key))).toBe(false);
  });
});

describe('Ubuntu 18.04 (systemd 237)', () => {
  const result = facts(
    systemd(
      sharedFile('ubuntu-18.04__jc_systemctl-list-units.txt'),
      sharedFile('ubuntu-18.04__jc_systemctl-list-unit-files.txt'),
    ),
  );
  const byKey = new Map(result.map((fact) => [fact.key, fact.value]));

  it('reads masked and generated states', () => {
    expect(result).toHaveLength(218);
    expect(byKey.get('bootlogd.service')).toMatchObject({ load: 'not-loaded', enabled: 'masked' });
    expect(byKey.get('apport.service')).toMatchObject({
      description: 'LSB: automatic crash report generation',
      active: 'active',
      sub: 'exited',
      enabled: 'generated',
    });
  });

  it('keeps an alias as its own unit where systemd < 246 does not mark aliases', () => {
    expect(byKey.get('ssh.service')).toMatchObject({ sub: 'running', enabled: 'enabled' });
    expect(byKey.get('sshd.service')).toMatchObject({ load: 'not-loaded', enabled: 'enabled' });
  });
});

describe('EL9 systemd 252 (all unit types, ellipsized names and descriptions)', () => {
  const units = parseSystemctlUnits(
    sharedFile('el9-systemd252__centreon_systemctl-a-plain-no-legend.txt'),
  );
  const result = facts(
    systemd(
      sharedFile('el9-systemd252__centreon_systemctl-a-plain-no-legend.txt'),
      sharedFile('rhel-9__insights_systemctl-list-unit-files-kdump.txt'),
    ),
  );
  const byKey = new Map(result.map((fact) => [fact.key, fact.value]));

  it('keeps only services; an ellipsized name that resolves to no unit file is dropped', () => {
    expect(result).toHaveLength(122);
    expect(result.every((f) => f.key.endsWith('.service'))).toBe(true);
    expect(units.some((u) => u.name === 'run-credentials-systemd\\x2dsysctl.service.m…')).toBe(
      true,
    );
  });

  it('reads failed units and keeps ellipsized descriptions as text', () => {
    expect(byKey.get('logrotate.service')).toMatchObject({ active: 'failed', sub: 'failed' });
    expect(byKey.get('snmpd.service')?.description).toBe(
      'Simple Network Management Protocol (SNMP) D…',
    );
    expect(byKey.get('kdump.service')).toMatchObject({ sub: 'exited', enabled: 'enabled' });
  });

  it('resolves an ellipsized name when exactly one unit file matches it', () => {
    const merged = mergeSystemdServices(
      [
        {
          name: 'NetworkManager-wait-…',
          load: 'loaded',
          active: 'active',
          sub: 'exited',
          description: 'x',
        },
      ],
      [{ name: 'NetworkManager-wait-online.service', state: 'enabled' }],
    );
    expect(merged.map((s) => s.name)).toEqual(['NetworkManager-wait-online.service']);
  });
});

describe('RHEL list-units with `*` bullets and a legend', () => {
  it('strips the `*` bullet; a repeated unit keeps its first row', () => {
    const units = parseSystemctlUnits(sharedFile('rhel__insights_systemctl-list-units.txt'));
    const swift = units.filter((u) => u.name === 'openstack-swift-proxy.service');
    expect(swift.map((u) => u.active)).toEqual(['active', 'failed']);
    const merged = mergeSystemdServices(units, []);
    expect(merged).toHaveLength(102);
  });
});

describe('init scripts', () => {
  it('reads OpenRC runlevels', () => {
    const services = parseInitScripts('openrc\nsshd enabled\ncrond disabled\n');
    expect(services.map((s) => [s.name, s.enabled, s.manager])).toEqual([
      ['sshd', 'enabled', 'openrc'],
      ['crond', 'disabled', 'openrc'],
    ]);
  });

  it('reports unknown enablement where there are no runlevel directories', () => {
    const [procps] = parseInitScripts('sysv-nolinks\nprocps unknown\nrc unknown\n');
    expect(procps).toMatchObject({ name: 'procps', enabled: null, manager: 'sysv' });
    expect(parseInitScripts('sysv-nolinks\nprocps unknown\nrc unknown\n')).toHaveLength(1);
  });
});

describe('choosing systemd or init scripts', () => {
  it('is unsupported with neither systemd nor /etc/init.d', () => {
    const none = sectionsOf({
      'services.units': { exitCode: 127 },
      'services.unit-files': { exitCode: 127 },
      'services.init-scripts': { exitCode: 127 },
    });
    expect(() => facts(none)).toThrow(UnsupportedError);
  });

  it('fails when systemctl fails under a running systemd', () => {
    const failing = sectionsOf({
      'services.units': { exitCode: 1, stderrTail: 'Failed to connect to bus: No such file' },
      'services.unit-files': '',
      'services.init-scripts': '',
    });
    expect(() => facts(failing)).toThrow(ParseError);
  });

  it('does not read an empty systemd listing as "every service removed"', () => {
    expect(() => facts(systemd('', ''))).toThrow(ParseError);
  });

  it('declares the /run/systemd/system guard in both systemctl commands', () => {
    const [units, files] = servicesCollector.commands;
    expect(units?.command).toMatch(/^\[ -d \/run\/systemd\/system \] \|\| exit 127; systemctl/);
    expect(files?.command).toMatch(/^\[ -d \/run\/systemd\/system \] \|\| exit 127; systemctl/);
  });
});

describe('hostile or broken output', () => {
  const units = (text: string): Sections => systemd(text, 'ssh.service enabled enabled\n');

  it('rejects control characters and invalid UTF-8 in unit names', () => {
    expect(() => facts(units('ev\u001bil.service loaded active running x\n'))).toThrow(ParseError);
    expect(() => facts(units('ev\ufffdil.service loaded active running x\n'))).toThrow(ParseError);
    expect(() => facts(units(`${'a'.repeat(300)}.service loaded active running x\n`))).toThrow(
      ParseError,
    );
  });

  it('rejects rows that are cut short or garbled', () => {
    expect(() => facts(units('ssh.service loaded\n'))).toThrow(ParseError);
    expect(() => facts(systemd('', 'ssh.service\n'))).toThrow(ParseError);
    expect(() => parseInitScripts('ssh enabled\n')).toThrow(ParseError);
    expect(() => parseInitScripts('sysv\nssh maybe\n')).toThrow(ParseError);
  });

  it('cleans control characters out of descriptions', () => {
    const [fact] = facts(units('ssh.service loaded active running Open\u0007SSH\n'));
    expect(fact?.value.description).toBe('Open?SSH');
  });
});
