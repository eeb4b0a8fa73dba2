import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import { listenerKey, listenersCollector, parseSs } from '../../../collectors/listeners.ts';
import { sectionsOf } from '../../../collectors/section.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/listeners');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

describe('parseSs', () => {
  it('reads ss -H -tulpn of this host', () => {
    expect(parseSs(ownFile('debian-12__ss.txt'))).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 2024, process: null, pid: null },
      { protocol: 'tcp', address: '127.0.0.1', port: 46761, process: 'postgres', pid: 11216 },
      { protocol: 'tcp', address: '127.0.0.1', port: 8080, process: 'node', pid: 11170 },
    ]);
  });

  it('lists exactly the sockets of ss -tuln (same host, same moment)', () => {
    for (const prefix of ['debian-12', 'debian-12-netns']) {
      const withProcesses = parseSs(ownFile(`${prefix}__ss.txt`)).map(listenerKey);
      const plain = parseSs(ownFile(`${prefix}__ss-tuln.txt`));
      expect(plain.map(listenerKey)).toEqual(withProcesses);
      expect(plain.every((l) => l.process === null && l.pid === null)).toBe(true);
    }
  });

  it('reads the header form (ss without -H) to the same facts', () => {
    expect(parseSs(ownFile('debian-12-netns__ss-header.txt'))).toEqual(
      parseSs(ownFile('debian-12-netns__ss.txt')),
    );
  });

  it('handles brackets, device suffixes, mapped addresses and dual-stack * (netns)', () => {
    const listeners = parseSs(ownFile('debian-12-netns__ss.txt'));
    expect(listeners.map(listenerKey)).toEqual([
      'tcp/*/80',
      'tcp/0.0.0.0/22',
      'tcp/0.0.0.0/8443',
      'tcp/127.0.0.1/5432',
      'tcp/127.0.0.53%lo/53',
      'tcp/::/22',
      'tcp/::ffff:127.0.0.1/8080',
      'tcp/fe80::1%veth0/9200',
      'udp/0.0.0.0%veth0/5353',
      'udp/0.0.0.0/68',
      'udp/127.0.0.53%lo/53',
      'udp/::1/323',
    ]);
  });

  it('merges SO_REUSEPORT and shared sockets under the lowest pid (the parent)', () => {
    // Port 8443: three sockets, one of pid 18989 and two shared by 18988 and its child 19072,
    // which ss lists child first.
    const listeners = parseSs(ownFile('debian-12-netns__ss.txt'));
    expect(listeners.find((l) => l.port === 8443)).toEqual({
      protocol: 'tcp',
      address: '0.0.0.0',
      port: 8443,
      process: 'python3',
      pid: 18988,
    });
    const ubuntu = parseSs(sharedFile('network/ubuntu-18.04__jc_ss-tulpen.txt'));
    expect(ubuntu.filter((l) => l.port === 68)).toEqual([
      { protocol: 'udp', address: '0.0.0.0', port: 68, process: 'dhclient', pid: 4738 },
    ]);
    expect(ubuntu.find((l) => l.port === 443)).toMatchObject({
      process: '/usr/sbin/apach',
      pid: 2079,
    });
    // 73 sockets, dhclient's two on 0.0.0.0:68 merged.
    expect(ubuntu).toHaveLength(72);
  });

  it('reads old ss: no brackets, no State column, users without pid=', () => {
    expect(parseSs(sharedFile('network/inspec__ss-tulpen.txt'))).toEqual([
      { protocol: 'tcp', address: '*', port: 22, process: 'sshd', pid: 1222 },
      { protocol: 'tcp', address: '*', port: 25, process: 'sendmail', pid: 3965 },
      { protocol: 'tcp', address: '*', port: 80, process: 'nginx', pid: 579 },
      { protocol: 'tcp', address: '::', port: 22, process: 'sshd', pid: 1222 },
      { protocol: 'tcp', address: '::ffff:10.0.2.15', port: 9200, process: 'java', pid: 1722 },
      { protocol: 'tcp', address: '::ffff:10.0.2.15', port: 9300, process: 'java', pid: 1722 },
      {
        protocol: 'tcp',
        address: 'fe80::a00:27ff:fe32:ed09%enp0s3',
        port: 9200,
        process: 'java',
        pid: 1722,
      },
      {
        protocol: 'tcp',
        address: 'fe80::a00:27ff:fe32:ed09%enp0s3',
        port: 9300,
        process: 'java',
        pid: 1722,
      },
      { protocol: 'udp', address: '*', port: 68, process: 'dhclient', pid: 1146 },
    ]);
  });

  it('reads a non-root run (header, no process column)', () => {
    const listeners = parseSs(sharedFile('network/rhel__insights_ss-tulpn.txt'));
    expect(listeners).toHaveLength(22);
    expect(listeners.find((l) => l.port === 67)).toEqual({
      protocol: 'udp',
      address: '0.0.0.0%virbr0',
      port: 67,
      process: null,
      pid: null,
    });
    expect(listeners.filter((l) => l.address === '::').map((l) => l.port)).toEqual([
      111, 22, 111, 47485, 5353,
    ]);
  });

  it('names the activated service rather than systemd for a socket-activated listener', () => {
    const activated =
      'tcp LISTEN 0 4096 *:22 *:* users:(("sshd",pid=812,fd=3),("systemd",pid=1,fd=51))\n' +
      'tcp LISTEN 0 4096 *:631 *:* users:(("systemd",pid=1,fd=60))\n';
    expect(parseSs(activated).map((l) => `${l.port}:${l.process}:${l.pid}`)).toEqual([
      '22:sshd:812',
      '631:systemd:1',
    ]);
    // The jc fixture: systemd alone holds port 6566 (saned.socket, not yet activated).
    const ubuntu = parseSs(sharedFile('network/ubuntu-18.04__jc_ss-tulpen.txt'));
    expect(ubuntu.find((l) => l.port === 6566)).toMatchObject({ process: 'systemd', pid: 1 });
  });

  it('accepts a host with no listeners', () => {
    expect(parseSs('')).toEqual([]);
    expect(
      parseSs('Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n'),
    ).toEqual([]);
  });

  it('keeps only the process name and replaces control characters in it', () => {
    const line = 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("ss\u001bhd",pid=7,fd=3))';
    expect(parseSs(line)[0]).toMatchObject({ process: 'ss?hd', pid: 7 });
  });

  it('refuses garbled or hostile lines', () => {
    expect(() => parseSs('tcp LISTEN 0 128\n')).toThrow(ParseError);
    expect(() => parseSs('tcp LISTEN 0 128 0.0.0.0 0.0.0.0:*\n')).toThrow(ParseError);
    expect(() => parseSs('tcp LISTEN 0 128 0.0.0.0:99999 0.0.0.0:*\n')).toThrow(ParseError);
    expect(() => parseSs('tcp LISTEN 0 128 evil.host:22 0.0.0.0:*\n')).toThrow(ParseError);
    expect(() => parseSs('tcp LISTEN 0 128 0.0.0.0%e\u0007th:22 0.0.0.0:*\n')).toThrow(ParseError);
    expect(() => parseSs(`tcp LISTEN 0 128 0.0.0.0%${'e'.repeat(300)}:22 0.0.0.0:*\n`)).toThrow(
      ParseError,
    );
    expect(() => parseSs('u_str LISTEN 0 128 /run/x.sock 0 * 0\n')).toThrow(ParseError);
  });
});

describe('listenersCollector.parse', () => {
  it('turns this host into listener facts', () => {
    const { facts } = listenersCollector.parse(
      sectionsOf({ 'listeners.ss': ownFile('debian-12__ss.txt') }),
    );
    expect(facts?.map((f) => `${f.kind}|${f.key}`)).toEqual([
      'listener|tcp/0.0.0.0/2024',
      'listener|tcp/127.0.0.1/46761',
      'listener|tcp/127.0.0.1/8080',
    ]);
  });

  it('is unsupported without ss (Debian minbase)', () => {
    expect(() =>
      listenersCollector.parse(sectionsOf({ 'listeners.ss': { exitCode: 127 } })),
    ).toThrow(UnsupportedError);
  });

  it('fails on a truncated section', () => {
    const stdout = ownFile('debian-12-netns__ss.txt').slice(0, 300);
    expect(() =>
      listenersCollector.parse(sectionsOf({ 'listeners.ss': { stdout, truncated: true } })),
    ).toThrow(ParseError);
    // Cut inside the address columns without the flag: the last line no longer parses.
    const cut = `${stdout.slice(0, stdout.lastIndexOf('0.0.0.0:68'))}0.0.0.0:68`;
    expect(() => listenersCollector.parse(sectionsOf({ 'listeners.ss': cut }))).toThrow(ParseError);
  });

  it('asks for root when available', () => {
    expect(listenersCollector.commands).toEqual([
      expect.objectContaining({ id: 'listeners.ss', root: 'preferred' }),
    ]);
  });
});
