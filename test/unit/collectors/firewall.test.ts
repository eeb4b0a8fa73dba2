import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NeedsPrivilegeError, ParseError, UnsupportedError } from '../../../collectors/errors.ts';
import {
  firewallCollector,
  parseIptablesSave,
  parseNftJson,
  renderNft,
} from '../../../collectors/firewall.ts';
import { sectionsOf } from '../../../collectors/section.ts';
import type { Section } from '../../../collectors/types.ts';

const shared = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const own = path.resolve(import.meta.dirname, '../../fixtures/firewall');
const sharedFile = (name: string) => readFileSync(path.join(shared, name), 'utf8');
const ownFile = (name: string) => readFileSync(path.join(own, name), 'utf8');

type Out = string | Partial<Section>;
const parse = (nft: Out, iptables: Out, ip6tables: Out) =>
  firewallCollector.parse(
    sectionsOf({
      'firewall.nft': nft,
      'firewall.iptables': iptables,
      'firewall.ip6tables': ip6tables,
    }),
  ).facts ?? [];
const absent = { exitCode: 127 };

describe('parseNftJson', () => {
  it('renders every rule of the recorded ruleset as readable nft text', () => {
    const { rules } = parseNftJson(ownFile('debian-12-netns__nft.txt'));
    const input = rules.filter((r) => r.table === 'filter' && r.chain === 'input');
    expect(input.map((r) => r.rule)).toEqual([
      'ct state established,related accept',
      'ct state invalid drop',
      'meta iif lo accept comment "loopback"',
      'ip saddr @blocked_v4 counter drop',
      'meta l4proto { icmp, ipv6-icmp } limit rate 10/second burst 5 packets accept',
      'tcp dport 22 counter name "ssh_hits" accept',
      'tcp dport { 80, 443 } ct state new accept',
      'ip6 saddr fe80::/10 udp dport 546 accept',
      'udp dport 5353 ip daddr 224.0.0.251 accept',
      'tcp flags & (fin | syn | rst | ack) == syn tcp dport 8000-8080 log prefix "alt-http " ' +
        'level info accept',
      'meta pkttype broadcast drop',
      'counter reject with icmpx admin-prohibited',
    ]);
    expect(input.map((r) => r.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const nat = rules.filter((r) => r.table === 'nat').map((r) => `${r.chain}: ${r.rule}`);
    expect(nat).toEqual([
      'prerouting: meta iifname eth0 tcp dport 8443 dnat to 172.17.0.2:443',
      'postrouting: ip saddr 172.17.0.0/16 meta oifname eth0 masquerade',
      'postrouting: ip saddr 10.8.0.0/24 snat to 192.0.2.2',
      'POSTROUTING: meta oifname != docker0 ip saddr 172.17.0.0/16 counter xt target MASQUERADE',
    ]);
    const raw = rules.filter((r) => r.family === 'ip6' && r.table === 'raw').map((r) => r.rule);
    expect(raw).toEqual([
      'icmpv6 type { nd-router-advert, nd-neighbor-solicit } notrack',
      'tcp dport 22 meta mark set 16',
    ]);
  });

  it('reads base chains with hook, policy, type and priority, regular chains without', () => {
    const { chains } = parseNftJson(ownFile('debian-12-netns__nft.txt'));
    expect(chains.find((c) => c.table === 'nat' && c.chain === 'prerouting')).toEqual({
      backend: 'nftables',
      family: 'ip',
      table: 'nat',
      chain: 'prerouting',
      hook: 'prerouting',
      policy: 'accept',
      type: 'nat',
      priority: -100,
    });
    expect(chains.find((c) => c.chain === 'docker_user')).toMatchObject({
      hook: null,
      policy: null,
      type: null,
      priority: null,
    });
  });

  it('gives the same rules with or without counter values (nft -j vs nft -j -s)', () => {
    const withCounters = ownFile('debian-12-netns__nft-with-counters.txt');
    expect(withCounters).toContain('"packets": 0');
    expect(parseNftJson(withCounters)).toEqual(parseNftJson(ownFile('debian-12-netns__nft.txt')));
  });

  it('reads an empty ruleset as no chains and no rules', () => {
    const empty = parseNftJson(ownFile('debian-12__nft.txt'));
    expect(empty.chains).toEqual([]);
    expect(empty.rules).toEqual([]);
  });

  it('reads nft 0.9.3 (RHEL 8) with a verdict map and nft 1.0.2 rule comments', () => {
    const rhel = parseNftJson(sharedFile('network/rhel-8__insights_nft-j-list-ruleset.json'));
    expect(rhel.rules.map((r) => `${r.table}/${r.chain}/${r.position}: ${r.rule}`)).toEqual([
      'example_table/example_chain/1: ip saddr vmap @example_map',
      'nftables_svc/INPUT/1: tcp dport 22 accept',
      'nftables_svc/INPUT/2: tcp dport 443 accept',
      'nftables_svc/INPUT/3: reject',
    ]);
    const inspec = parseNftJson(sharedFile('network/inspec__nft-j-list-chain.json'));
    expect(inspec.rules.map((r) => r.rule)).toEqual([
      'meta iifname eth0 tcp dport 80 accept comment "http on 80"',
      'jump derby-cognos-web',
    ]);
  });

  it('renders unknown expressions as canonical JSON without counter state', () => {
    const a = renderNft(
      { synproxy: { mss: 1460, wscale: 7, packets: 5, flags: ['sack-perm'] } },
      0,
    );
    const b = renderNft(
      { synproxy: { flags: ['sack-perm'], wscale: 7, mss: 1460, packets: 9 } },
      0,
    );
    expect(a).toBe('synproxy {"flags":["sack-perm"],"mss":1460,"wscale":7}');
    expect(b).toBe(a);
    expect(
      renderNft({ quota: { val: 25, val_unit: 'mbytes', used: 12, used_unit: 'kbytes' } }, 0),
    ).toBe('quota 25 mbytes');
    expect(
      renderNft(
        { set: { op: 'add', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@seen' } },
        0,
      ),
    ).toBe('add @seen { ip saddr }');
  });

  it('refuses broken or hostile JSON', () => {
    expect(() => parseNftJson('{"nftables": [{"metainfo": {')).toThrow(ParseError);
    expect(() => parseNftJson('[]')).toThrow(ParseError);
    const rule = (chain: string) =>
      JSON.stringify({
        nftables: [{ rule: { family: 'inet', table: 'filter', chain, expr: [] } }],
      });
    expect(() => parseNftJson(rule('in\u001bput'))).toThrow(ParseError);
    expect(() => parseNftJson(rule('x'.repeat(300)))).toThrow(ParseError);
    expect(() => parseNftJson(rule('inp\ufffdt'))).toThrow(ParseError);
    expect(() =>
      parseNftJson('{"nftables": [{"rule": {"family": "inet", "table": "f", "chain": "c"}}]}'),
    ).toThrow(ParseError);
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { '&': [deep, 1] };
    expect(() => renderNft(deep, 0)).toThrow(ParseError);
  });
});

describe('parseIptablesSave', () => {
  it('reads iptables-nft output, its variant and the incompatible-table warning', () => {
    const save = parseIptablesSave(ownFile('debian-12-netns__iptables.txt'), 'ip');
    expect(save.tables.map((t) => [t.name, t.variant, t.incompatible])).toEqual([
      ['filter', 'nf_tables', false],
      ['nat', 'nf_tables', true],
    ]);
    const filter = save.tables[0];
    expect(filter?.chains.map((c) => [c.chain, c.hook, c.policy])).toEqual([
      ['INPUT', 'input', 'accept'],
      ['FORWARD', 'forward', 'drop'],
      ['OUTPUT', 'output', 'accept'],
      ['DOCKER', null, null],
    ]);
    // iptables-nft rules live in nf_tables: backend nftables, written in iptables syntax.
    expect(filter?.rules[2]).toEqual({
      backend: 'nftables',
      family: 'ip',
      table: 'filter',
      chain: 'INPUT',
      position: 3,
      syntax: 'iptables',
      rule:
        '-A INPUT -p tcp -m multiport --dports 22,80,443 ' +
        '-m comment --comment "public services" -j ACCEPT',
    });
  });

  it('reads legacy iptables 1.4.7 (RHEL 6) and ip6tables 1.4.21 (RHEL 7)', () => {
    const v4 = parseIptablesSave(sharedFile('network/rhel-6__insights_iptables-save.txt'), 'ip');
    expect(v4.tables.map((t) => `${t.name}:${t.variant}`)).toEqual([
      'filter:legacy',
      'mangle:legacy',
      'nat:legacy',
    ]);
    expect(v4.tables[0]?.rules[0]?.backend).toBe('iptables');
    expect(v4.tables[0]?.rules.map((r) => `${r.chain}/${r.position}`)).toEqual([
      'INPUT/1',
      'INPUT/2',
      'INPUT/3',
      'INPUT/4',
      'INPUT/5',
      'INPUT/6',
      'INPUT/7',
      'REJECT-LOG/1',
    ]);
    expect(v4.tables[0]?.rules[3]?.rule).toBe('-A INPUT -s 192.168.2.0/24');
    const v6 = parseIptablesSave(sharedFile('network/rhel-7__insights_ip6tables-save.txt'), 'ip6');
    expect(v6.tables.map((t) => `${t.name}:${t.rules.length}`)).toEqual([
      'nat:0',
      'mangle:0',
      'security:3',
      'raw:4',
      'filter:7',
    ]);
    expect(v6.tables[3]?.rules[0]?.rule).toBe(
      '-A PREROUTING -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT',
    );
  });

  it('drops the [packets:bytes] counters of chains and of -c rule lines', () => {
    const save = parseIptablesSave(sharedFile('network/rhel-6__insights_iptables-save.txt'), 'ip');
    expect(JSON.stringify(save)).not.toContain('769');
    const counted = parseIptablesSave(
      '*filter\n:INPUT ACCEPT [12:3456]\n[7:420] -A INPUT -i lo -j ACCEPT\nCOMMIT\n',
      'ip',
    );
    expect(counted.tables[0]?.rules[0]?.rule).toBe('-A INPUT -i lo -j ACCEPT');
    expect(counted.tables[0]?.variant).toBe('legacy');
  });

  it('reads empty output as no tables', () => {
    expect(parseIptablesSave(ownFile('debian-12__iptables.txt'), 'ip')).toEqual({
      tables: [],
      legacyWarning: false,
    });
  });

  it('reads the iptables-nft part and the iptables-legacy part of one output', () => {
    const save = parseIptablesSave(ownFile('debian-12-netns-mixed__iptables.txt'), 'ip');
    expect(save.tables.map((t) => `${t.variant}:${t.name}:${t.rules.length}`)).toEqual([
      'nf_tables:filter:2',
      'legacy:filter:1',
      'legacy:nat:1',
    ]);
  });

  it('refuses cut-off and garbled output', () => {
    const full = ownFile('debian-12-netns__iptables.txt');
    expect(() => parseIptablesSave(full.slice(0, full.indexOf('COMMIT')), 'ip')).toThrow(
      ParseError,
    );
    expect(() => parseIptablesSave('*filter\nflush everything\nCOMMIT\n', 'ip')).toThrow(
      ParseError,
    );
    expect(() => parseIptablesSave('-A INPUT -j ACCEPT\n', 'ip')).toThrow(ParseError);
    expect(() => parseIptablesSave('*filter\n:IN\u0007PUT ACCEPT [0:0]\nCOMMIT\n', 'ip')).toThrow(
      ParseError,
    );
  });
});

describe('firewallCollector.parse', () => {
  it('shows this host: nft installed, nothing loaded, no rules (a valid empty result)', () => {
    expect(
      parse(
        ownFile('debian-12__nft.txt'),
        ownFile('debian-12__iptables.txt'),
        ownFile('debian-12__ip6tables.txt'),
      ),
    ).toEqual([]);
  });

  it('takes iptables-nft tables from iptables-save and the rest from nft, never twice', () => {
    const facts = parse(
      ownFile('debian-12-netns__nft.txt'),
      ownFile('debian-12-netns__iptables.txt'),
      ownFile('debian-12-netns__ip6tables.txt'),
    );
    const chains = facts.filter((f) => f.kind === 'firewall_chain').map((f) => f.key);
    expect(chains).toEqual([
      'nftables/inet/filter/input',
      'nftables/inet/filter/forward',
      'nftables/inet/filter/docker_user',
      'nftables/inet/filter/drop_log',
      'nftables/inet/filter/output',
      'nftables/ip/nat/prerouting',
      'nftables/ip/nat/postrouting',
      'nftables/ip/nat/POSTROUTING',
      'nftables/ip6/raw/prerouting',
      'nftables/ip/filter/INPUT',
      'nftables/ip/filter/FORWARD',
      'nftables/ip/filter/OUTPUT',
      'nftables/ip/filter/DOCKER',
      'nftables/ip6/filter/INPUT',
      'nftables/ip6/filter/FORWARD',
      'nftables/ip6/filter/OUTPUT',
    ]);
    const rules = facts.filter((f) => f.kind === 'firewall_rule');
    // nft: 24 rules outside ip/filter; iptables-save: 6 in ip filter, 2 in ip6 filter.
    expect(rules).toHaveLength(32);
    expect(rules.find((f) => f.key === 'nftables/ip/filter/INPUT/1')?.value).toEqual({
      backend: 'nftables',
      family: 'ip',
      table: 'filter',
      chain: 'INPUT',
      position: 1,
      syntax: 'iptables',
      rule: '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    });
    // nft's JSON of the same table (`xt match conntrack`, no arguments) is not used.
    expect(JSON.stringify(rules)).not.toContain('xt match');
    expect(rules.filter((f) => f.key.startsWith('nftables/ip/filter/'))).toHaveLength(6);
    expect(JSON.stringify(facts)).not.toMatch(/"(packets|bytes)"|\[\d+:\d+\]/);
  });

  it('uses iptables-save alone when nft is not installed', () => {
    const facts = parse(absent, ownFile('debian-12-netns__iptables.txt'), absent);
    expect(facts.filter((f) => f.kind === 'firewall_chain').map((f) => f.key)).toEqual([
      'nftables/ip/filter/INPUT',
      'nftables/ip/filter/FORWARD',
      'nftables/ip/filter/OUTPUT',
      'nftables/ip/filter/DOCKER',
      'nftables/ip/nat/PREROUTING',
      'nftables/ip/nat/INPUT',
      'nftables/ip/nat/OUTPUT',
      'nftables/ip/nat/POSTROUTING',
    ]);
  });

  it('keeps the same facts for iptables-nft tables when nft gets installed', () => {
    const without = parse(absent, ownFile('debian-12-netns__iptables.txt'), absent);
    const withNft = parse(
      ownFile('debian-12-netns__nft.txt'),
      ownFile('debian-12-netns__iptables.txt'),
      absent,
    );
    const filter = (facts: typeof without) =>
      facts.filter((f) => f.key.startsWith('nftables/ip/filter/'));
    expect(filter(withNft)).toEqual(filter(without));
  });

  it('lists iptables-nft and iptables-legacy rules side by side (kube-proxy style)', () => {
    const facts = parse(
      ownFile('debian-12-netns-mixed__nft.txt'),
      ownFile('debian-12-netns-mixed__iptables.txt'),
      ownFile('debian-12-netns-mixed__ip6tables.txt'),
    );
    const rules = facts.filter((f) => f.kind === 'firewall_rule');
    expect(rules.map((f) => `${f.key}: ${(f.value as { rule: string }).rule}`)).toEqual([
      'nftables/ip/filter/INPUT/1: -A INPUT -i lo -j ACCEPT',
      'nftables/ip/filter/INPUT/2: -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
      'iptables/ip/filter/INPUT/1: -A INPUT -p tcp -m tcp --dport 10250 -j ACCEPT',
      'iptables/ip/nat/PREROUTING/1: ' +
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'nftables/ip6/filter/INPUT/1: -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
    ]);
  });

  it('fails when iptables-nft reports legacy rules that were not listed', () => {
    const warning =
      '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n';
    const nftOnly = ownFile('debian-12-netns__iptables.txt');
    expect(() => parse(absent, { stdout: nftOnly, stderrTail: warning }, absent)).toThrow(
      ParseError,
    );
    expect(() => parse(absent, `${nftOnly}${warning}`, absent)).toThrow(ParseError);
    // With the legacy part listed after it, the warning is answered.
    expect(() =>
      parse(
        absent,
        { stdout: ownFile('debian-12-netns-mixed__iptables.txt'), stderrTail: warning },
        absent,
      ),
    ).not.toThrow();
  });

  it('adds legacy iptables rules, which nft cannot see', () => {
    const facts = parse(
      ownFile('debian-12-netns-legacy__nft.txt'),
      ownFile('debian-12-netns-legacy__iptables.txt'),
      ownFile('debian-12__ip6tables.txt'),
    );
    expect(facts.filter((f) => f.kind === 'firewall_rule').map((f) => f.key)).toEqual([
      'iptables/ip/nat/POSTROUTING/1',
      'iptables/ip/filter/INPUT/1',
      'iptables/ip/filter/INPUT/2',
      'iptables/ip/filter/INPUT/3',
      'iptables/ip/filter/LOGDROP/1',
      'iptables/ip/filter/LOGDROP/2',
    ]);
    expect(facts.find((f) => f.key === 'iptables/ip/filter/INPUT')?.value).toMatchObject({
      hook: 'input',
      policy: 'drop',
    });
  });

  it('needs root: no sudo is "cannot tell", not "no rules"', () => {
    const denied = { privilegeDenied: true, exitCode: null };
    expect(() => parse(denied, denied, denied)).toThrow(NeedsPrivilegeError);
  });

  it('is unsupported when neither nft nor iptables-save exists', () => {
    expect(() => parse(absent, absent, absent)).toThrow(UnsupportedError);
  });

  it('fails when a present tool fails, rather than dropping its rules', () => {
    expect(() =>
      parse({ exitCode: 1, stderrTail: 'Error: cache initialization failed' }, '', ''),
    ).toThrow(ParseError);
    expect(() => parse(ownFile('debian-12__nft.txt'), { exitCode: 1 }, '')).toThrow(ParseError);
    const cut = ownFile('debian-12-netns__nft.txt').slice(0, 5000);
    expect(() => parse(cut, absent, absent)).toThrow(ParseError);
  });

  it('is byte-for-byte stable', () => {
    const run = () =>
      JSON.stringify(
        parse(
          ownFile('debian-12-netns__nft.txt'),
          ownFile('debian-12-netns__iptables.txt'),
          ownFile('debian-12-netns__ip6tables.txt'),
        ),
      );
    expect(run()).toBe(run());
  });

  it('runs every command as root', () => {
    expect(firewallCollector.commands.map((c) => [c.id, c.root])).toEqual([
      ['firewall.nft', 'required'],
      ['firewall.iptables', 'required'],
      ['firewall.ip6tables', 'required'],
    ]);
  });
});
