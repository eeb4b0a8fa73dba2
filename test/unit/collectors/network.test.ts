import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import {
  networkCollector,
  parseIpAddr,
  parseIpAddrJson,
  parseIpAddrText,
  parseIpRoute,
  parseResolvConf,
  routeKey,
} from '../../../collectors/network.ts';
import { sectionsOf } from '../../../collectors/section.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/network');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

describe('interfaces', () => {
  it('reads ip -j addr of this host', () => {
    const links = parseIpAddr(ownFile('debian-12__addr.txt'));
    expect(links.map((l) => l.name)).toEqual(['eth0', 'ifb0', 'ifb1', 'lo']);
    expect(links[0]).toEqual({
      name: 'eth0',
      mac: '02:fc:00:00:00:01',
      mtu: 1400,
      state: 'UP',
      type: 'ether',
      addresses: ['192.0.2.2/24', 'fd00::2/64', 'fe80::fc:ff:fe00:1/64'],
    });
    expect(links[1]).toEqual({
      name: 'ifb0',
      mac: '96:22:a7:02:f9:4c',
      mtu: 1500,
      state: 'DOWN',
      type: 'ether',
      addresses: [],
    });
    expect(links[3]).toMatchObject({ type: 'loopback', addresses: ['127.0.0.1/8', '::1/128'] });
  });

  it('reads the ip addr text of the same hosts to the same facts as ip -j addr', () => {
    for (const prefix of ['debian-12', 'debian-12-netns']) {
      const json = parseIpAddrJson(ownFile(`${prefix}__addr.txt`));
      expect(parseIpAddrText(ownFile(`${prefix}__addr-text.txt`))).toEqual(json);
    }
    const cloudInitJson = parseIpAddr(
      sharedFile('network/ubuntu__cloud-init_ip-j-p-addr-show.json'),
    );
    expect(parseIpAddr(sharedFile('network/ubuntu__cloud-init_ip-addr-show.txt'))).toEqual(
      cloudInitJson,
    );
  });

  it('reads veth peers, secondary, peer and lifetime-limited addresses (netns recording)', () => {
    const links = parseIpAddr(ownFile('debian-12-netns__addr.txt'));
    expect(links.map((l) => l.name)).toEqual([
      'br0',
      'lo',
      'uplink',
      'uplink-peer',
      'veth-ctr',
      'veth-host',
    ]);
    expect(links.find((l) => l.name === 'veth-host')?.addresses).toEqual([
      '10.20.0.1/24',
      '10.20.0.9/24',
      '2001:db8:20::1/64',
      '2001:db8:20::99/64',
      'fe80::88c3:52ff:fe0b:375c/64',
    ]);
    expect(links.find((l) => l.name === 'uplink')).toEqual({
      name: 'uplink',
      mac: 'ba:80:66:81:f5:c1',
      mtu: 1400,
      state: 'UP',
      type: 'ether',
      addresses: ['10.100.0.1/24', '10.30.0.5/32', 'fd00:20::5/64', 'fe80::b880:66ff:fe81:f5c1/64'],
    });
  });

  it('does not change when address lifetimes count down', () => {
    const before = ownFile('debian-12-netns__addr.txt');
    const later = before
      .replace(/"valid_life_time":3600/g, '"valid_life_time":2417')
      .replace(/"preferred_life_time":1800/g, '"preferred_life_time":617');
    expect(later).not.toBe(before);
    expect(JSON.stringify(parseIpAddr(later))).toBe(JSON.stringify(parseIpAddr(before)));
    const text = ownFile('debian-12-netns__addr-text.txt');
    expect(parseIpAddrText(text.replace('valid_lft 3600sec', 'valid_lft 12sec'))).toEqual(
      parseIpAddrText(text),
    );
  });

  it('leaves out temporary (privacy) IPv6 addresses, which rotate daily', () => {
    const json = JSON.parse(ownFile('debian-12-netns__addr.txt')) as {
      ifname: string;
      addr_info: Record<string, unknown>[];
    }[];
    const host = json.find((l) => l.ifname === 'veth-host');
    host?.addr_info.push({
      family: 'inet6',
      local: '2001:db8:20:0:5d3a:1b2c:3d4e:5f60',
      prefixlen: 64,
      scope: 'global',
      temporary: true,
      dynamic: true,
    });
    const withTemporary = parseIpAddr(JSON.stringify(json));
    expect(withTemporary).toEqual(parseIpAddr(ownFile('debian-12-netns__addr.txt')));
    const text = ownFile('debian-12-netns__addr-text.txt').replace(
      '    inet6 2001:db8:20::1/64',
      '    inet6 2001:db8:20:0:5d3a:1b2c:3d4e:5f60/64 scope global temporary dynamic \n' +
        '       valid_lft 86000sec preferred_lft 14000sec\n    inet6 2001:db8:20::1/64',
    );
    expect(parseIpAddrText(text)).toEqual(withTemporary);
  });

  it('reads BusyBox 1.35 ip addr of this host: same links, no state', () => {
    const busybox = parseIpAddr(ownFile('debian-12-busybox__addr.txt'));
    const iproute2 = parseIpAddr(ownFile('debian-12__addr.txt'));
    expect(busybox.map((l) => l.state)).toEqual([null, null, null, null]);
    expect(busybox).toEqual(iproute2.map((l) => ({ ...l, state: null })));
  });

  it('reads BusyBox ip output (no qlen/group, trailing spaces)', () => {
    expect(parseIpAddr(sharedFile('network/busybox-alpine__ntc_ip-address-show.txt'))).toEqual([
      {
        name: 'eth0',
        mac: '01:02:03:04:05:06',
        mtu: 1500,
        state: 'UP',
        type: 'ether',
        addresses: ['192.168.1.1/24', 'fe80::302:03ff:fe04:0506/64'],
      },
      {
        name: 'lo',
        mac: '00:00:00:00:00:00',
        mtu: 65536,
        state: 'UNKNOWN',
        type: 'loopback',
        addresses: ['127.0.0.1/8', '::1/128'],
      },
    ]);
  });

  it('reads secondary addresses and altname lines', () => {
    const links = parseIpAddr(sharedFile('network/linux__ntc_ip-address-show.txt'));
    expect(links.find((l) => l.name === 'eth0')?.addresses).toEqual([
      '192.168.121.241/24',
      '192.168.121.45/24',
      'fe80::5054:ff:fe8c:6244/64',
    ]);
    expect(links.find((l) => l.name === 'ens33')).toMatchObject({
      mac: '00:0c:29:b0:21:7d',
      addresses: ['192.168.94.133/24', 'fe80::b681:60db:7206:13a0/64'],
    });
  });

  it('refuses hostile or broken output', () => {
    expect(() => parseIpAddr('[{"ifname":"eth0","addr_info":[')).toThrow(ParseError);
    expect(() => parseIpAddr('{"ifname":"eth0"}')).toThrow(ParseError);
    expect(() => parseIpAddr('[{"ifname":"eth\\u001b0"}]')).toThrow(ParseError);
    expect(() => parseIpAddr(`[{"ifname":"${'e'.repeat(300)}"}]`)).toThrow(ParseError);
    expect(() => parseIpAddr('[{"ifname":"eth\ufffd"}]')).toThrow(ParseError);
    expect(() => parseIpAddr('[{"ifname":"eth0","mtu":"big"}]')).toThrow(ParseError);
    expect(() =>
      parseIpAddr(
        '[{"ifname":"eth0","addr_info":[{"family":"inet","local":"<script>","prefixlen":8}]}]',
      ),
    ).toThrow(ParseError);
    expect(() => parseIpAddrText('garbage\n')).toThrow(ParseError);
    expect(() =>
      parseIpAddrText('2: eth0: <UP> mtu 1500\n    inet 10.0.0.1 scope global eth0\n'),
    ).toThrow(ParseError);
    expect(() => parseIpAddr('[{"ifname":"eth0"},{"ifname":"eth0"}]')).toThrow(ParseError);
  });
});

describe('routes', () => {
  const keys = (text: string, family: 'inet' | 'inet6') =>
    parseIpRoute(text, family).map((r) => routeKey(r));

  it('reads this host and drops the kernel-generated local table', () => {
    expect(keys(ownFile('debian-12__route4.txt'), 'inet')).toEqual([
      'inet main default via 192.0.2.1 dev eth0',
      'inet main 192.0.2.0/24 dev eth0',
    ]);
    expect(parseIpRoute(ownFile('debian-12__route4.txt'), 'inet')[1]).toEqual({
      table: 'main',
      family: 'inet',
      type: 'unicast',
      dst: '192.0.2.0/24',
      gateway: null,
      dev: 'eth0',
      protocol: 'kernel',
      scope: 'link',
      metric: null,
    });
    expect(keys(ownFile('debian-12__route6.txt'), 'inet6')).toEqual([
      'inet6 main fd00::/64 dev eth0 metric 256',
      'inet6 main fe80::/64 dev eth0 metric 256',
      'inet6 main default via fd00::1 dev eth0 metric 1024',
    ]);
  });

  it('drops the local table of BusyBox ip, which prints no protocol at all', () => {
    expect(keys(ownFile('debian-12-busybox__route4.txt'), 'inet')).toEqual(
      keys(ownFile('debian-12__route4.txt'), 'inet'),
    );
    expect(keys(ownFile('debian-12-busybox__route6.txt'), 'inet6')).toEqual(
      keys(ownFile('debian-12__route6.txt'), 'inet6'),
    );
    expect(parseIpRoute(ownFile('debian-12-busybox__route4.txt'), 'inet')[1]).toMatchObject({
      dst: '192.0.2.0/24',
      protocol: null,
      scope: 'link',
    });
  });

  it('reads ip route text to the same facts as ip -j route', () => {
    for (const prefix of ['debian-12', 'debian-12-netns']) {
      for (const [file, family] of [
        ['route4', 'inet'],
        ['route6', 'inet6'],
      ] as const) {
        expect(parseIpRoute(ownFile(`${prefix}__${file}-text.txt`), family)).toEqual(
          parseIpRoute(ownFile(`${prefix}__${file}.txt`), family),
        );
      }
    }
  });

  it('keeps policy tables, multipath, blackhole, unreachable and AnyIP routes (netns)', () => {
    const routes = parseIpRoute(ownFile('debian-12-netns__route4.txt'), 'inet');
    expect(routes.map((r) => routeKey(r))).toEqual([
      'inet 100 default via 10.100.0.254 dev uplink',
      'inet main default via 10.20.0.254 dev veth-host metric 100',
      'inet main 10.20.0.0/24 dev veth-host',
      'inet main 10.30.0.6 dev uplink',
      'inet main 10.99.0.0/16 via 10.100.0.253,10.20.0.253 dev uplink,veth-host',
      'inet main 10.100.0.0/24 dev uplink',
      'inet main 172.18.0.0/16 dev br0',
      'inet main 192.168.50.0/24 via 10.100.0.254 dev uplink',
      'inet main blackhole 198.51.100.0/24',
      'inet main unreachable 203.0.113.0/24 metric 5',
      'inet local local 10.200.0.0/24 dev lo',
    ]);
    expect(routes[4]).toMatchObject({ protocol: 'static', metric: null });
    expect(routes[10]).toMatchObject({ type: 'local', protocol: null, scope: 'host' });
  });

  it('never keeps the countdown of an expiring IPv6 route', () => {
    const routes = parseIpRoute(ownFile('debian-12-netns__route6.txt'), 'inet6');
    const expiring = routes.find((r) => r.dst === '2001:db8:99::/48');
    expect(expiring).toEqual({
      table: 'main',
      family: 'inet6',
      type: 'unicast',
      dst: '2001:db8:99::/48',
      gateway: '2001:db8:20::fffd',
      dev: 'veth-host',
      protocol: null,
      scope: null,
      metric: 1024,
    });
    expect(routes.some((r) => r.table === 'local')).toBe(false);
    expect(routes.filter((r) => r.dst === 'fe80::/64')).toHaveLength(5);
  });

  it('drops route-cache entries and reads old double-spaced output (RHEL)', () => {
    const lines = sharedFile('network/rhel__insights_ip-route-show-table-all.txt').split('\n');
    const split = lines.findIndex((l) => l.startsWith('unreachable ::/96'));
    const v4 = keys(lines.slice(0, split).join('\n'), 'inet');
    expect(v4).toEqual([
      'inet main default via 192.168.23.250 dev enp0s25',
      'inet main 10.0.0.0/8 via 10.64.54.1 dev tun0 metric 50',
      'inet main 10.64.54.0/23 dev tun0 metric 50',
      'inet main 66.187.239.220 via 192.168.23.250 dev enp0s25',
      'inet main 192.168.23.0/24 dev enp0s25',
      'inet main 192.168.122.0/24 dev virbr0',
    ]);
    const v6 = parseIpRoute(lines.slice(split).join('\n'), 'inet6');
    expect(v6.some((r) => r.dst.startsWith('2404:6800'))).toBe(false);
    expect(v6.map((r) => r.dst)).toContain('2001:44b8:1110:f800::/64');
    expect(v6[0]).toMatchObject({ type: 'unreachable', dst: '::/96', dev: 'lo', metric: 1024 });
  });

  it('drops kernel local routes printed as proto none, keeps RA routes (cloud-init)', () => {
    const routes = parseIpRoute(sharedFile('network/ubuntu__cloud-init_ip-6-route.txt'), 'inet6');
    expect(routes).toHaveLength(9);
    expect(routes.some((r) => r.table === 'local')).toBe(false);
    expect(routes.find((r) => r.dst === '2a00:abcd:82ae:cd33::/56')).toMatchObject({
      gateway: 'fe80::32ee:54de:cd43:b4e1',
      protocol: 'ra',
      metric: 100,
    });
  });

  it('ignores linkdown flags and trailing spaces', () => {
    const routes = parseIpRoute(
      sharedFile('network/linux__ntc_ip-route-show-linkdown.txt'),
      'inet',
    );
    expect(routes.map((r) => `${r.dst} ${r.dev} ${r.metric}`)).toEqual([
      'default enp0s25 100',
      '192.168.1.0/24 enp0s25 100',
      '192.168.88.0/24 br0 425',
      '192.168.122.0/24 virbr0 null',
    ]);
    expect(keys(sharedFile('network/ubuntu__cloud-init_ip-route-v4.txt'), 'inet')).toEqual([
      'inet main default via 192.168.2.1 dev enp0s25 metric 100',
      'inet main default via 192.168.2.1 dev wlp3s0 metric 150',
      'inet main 192.168.2.0/24 dev enp0s25 metric 100',
    ]);
  });

  it('refuses broken output', () => {
    expect(() => parseIpRoute('[{"dst":"default"', 'inet')).toThrow(ParseError);
    expect(() => parseIpRoute('[{"dst":"default","metric":"x"}]', 'inet')).toThrow(ParseError);
    expect(() => parseIpRoute('10.0.0.0/8 via 10.0.0.1 metric lots\n', 'inet')).toThrow(ParseError);
    expect(() => parseIpRoute('10.0.0.0/8 dev\n', 'inet')).toThrow(ParseError);
    expect(() => parseIpRoute('\tnexthop via 10.0.0.1\n', 'inet')).toThrow(ParseError);
    expect(() => parseIpRoute('10.0.0.0/8 dev eth\u00070\n', 'inet')).toThrow(ParseError);
  });
});

describe('parseResolvConf', () => {
  it('reads this host', () => {
    expect(parseResolvConf(ownFile('debian-12__resolv.txt'))).toEqual({
      nameservers: ['10.255.255.53'],
      search: [],
      options: [],
    });
  });

  it('keeps nameserver order, lets the last search/domain line win, collects options', () => {
    // The stub file systemd-resolved writes, plus a later domain line.
    const conf = [
      '# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).',
      'nameserver 127.0.0.53',
      'nameserver 10.0.0.2',
      'options edns0 trust-ad',
      'search corp.example.com example.com',
      '; old style comment',
      'domain lab.example.com',
      'options timeout:2',
    ].join('\n');
    expect(parseResolvConf(conf)).toEqual({
      nameservers: ['127.0.0.53', '10.0.0.2'],
      search: ['lab.example.com'],
      options: ['edns0', 'trust-ad', 'timeout:2'],
    });
  });

  it('is null for an absent or empty file', () => {
    expect(parseResolvConf('')).toBeNull();
  });
});

describe('networkCollector.parse', () => {
  const recorded = () => ({
    'network.addr': ownFile('debian-12__addr.txt'),
    'network.route4': ownFile('debian-12__route4.txt'),
    'network.route6': ownFile('debian-12__route6.txt'),
    'network.resolv': ownFile('debian-12__resolv.txt'),
  });

  it('turns this host into interface, route and dns facts', () => {
    const { facts } = networkCollector.parse(sectionsOf(recorded()));
    expect(facts?.map((f) => `${f.kind}|${f.key}`)).toEqual([
      'interface|eth0',
      'interface|ifb0',
      'interface|ifb1',
      'interface|lo',
      'route|inet main 192.0.2.0/24 dev eth0',
      'route|inet main default via 192.0.2.1 dev eth0',
      'route|inet6 main default via fd00::1 dev eth0 metric 1024',
      'route|inet6 main fd00::/64 dev eth0 metric 256',
      'route|inet6 main fe80::/64 dev eth0 metric 256',
      'dns|resolv',
    ]);
  });

  it('gives byte-identical facts for the JSON and the text fallback', () => {
    const json = networkCollector.parse(sectionsOf(recorded()));
    const text = networkCollector.parse(
      sectionsOf({
        ...recorded(),
        'network.addr': ownFile('debian-12__addr-text.txt'),
        'network.route4': ownFile('debian-12__route4-text.txt'),
        'network.route6': ownFile('debian-12__route6-text.txt'),
      }),
    );
    expect(JSON.stringify(text)).toBe(JSON.stringify(json));
  });

  it('is unsupported without ip (Debian minbase), never an empty interface list', () => {
    const noIp = sectionsOf({
      ...recorded(),
      'network.addr': { exitCode: 127 },
      'network.route4': { exitCode: 127 },
      'network.route6': { exitCode: 127 },
    });
    expect(() => networkCollector.parse(noIp)).toThrow(UnsupportedError);
  });

  it('treats a kernel without IPv6 as having no IPv6 routes', () => {
    const { facts } = networkCollector.parse(
      sectionsOf({
        ...recorded(),
        'network.route6': {
          exitCode: 2,
          stderrTail: 'RTNETLINK answers: Address family not supported by protocol\n',
        },
      }),
    );
    expect(facts?.filter((f) => f.key.startsWith('inet6'))).toEqual([]);
    expect(() =>
      networkCollector.parse(
        sectionsOf({ ...recorded(), 'network.route6': { exitCode: 2, stderrTail: 'boom' } }),
      ),
    ).toThrow(ParseError);
  });

  it('emits no dns fact when resolv.conf is absent', () => {
    const { facts } = networkCollector.parse(sectionsOf({ ...recorded(), 'network.resolv': '' }));
    expect(facts?.some((f) => f.kind === 'dns')).toBe(false);
  });

  it('fails on truncated output instead of returning fewer interfaces', () => {
    const cut = ownFile('debian-12__addr.txt').slice(0, 400);
    expect(() =>
      networkCollector.parse(sectionsOf({ ...recorded(), 'network.addr': cut })),
    ).toThrow(ParseError);
    expect(() =>
      networkCollector.parse(
        sectionsOf({ ...recorded(), 'network.addr': { stdout: cut, truncated: true } }),
      ),
    ).toThrow(ParseError);
  });

  it('declares its sections', () => {
    expect(networkCollector.commands.map((c) => c.id)).toEqual([
      'network.addr',
      'network.route4',
      'network.route6',
      'network.resolv',
    ]);
    expect(networkCollector.kinds).toEqual(['interface', 'route', 'dns']);
  });
});
