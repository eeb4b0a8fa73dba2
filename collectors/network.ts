// The network collector: interfaces with their addresses, the routing tables and the resolver
// configuration. Lifetimes, counters and kernel-generated local-table routes stay out of facts:
// they change without anyone changing the host's configuration.
import { ParseError } from './errors.ts';
import { identifier, text } from './sanitize.ts';
import { NOT_FOUND, okOutput } from './section.ts';
import type { Collector, Fact, Sections } from './types.ts';

export type InterfaceFact = {
  readonly name: string;
  /** Link-layer address as `ip` prints it; null for links without one (tun, wireguard). */
  readonly mac: string | null;
  readonly mtu: number | null;
  /** Operational state: UP, DOWN, UNKNOWN, LOWERLAYERDOWN, DORMANT… */
  readonly state: string | null;
  /** Link type: ether, loopback, none, ipip, sit, gre… */
  readonly type: string | null;
  /** `address/prefixlen`, IPv4 then IPv6, sorted; temporary (privacy) IPv6 addresses omitted. */
  readonly addresses: readonly string[];
};

export type RouteFamily = 'inet' | 'inet6';

export type RouteFact = {
  /** Routing table name or number: main, local, 100… */
  readonly table: string;
  readonly family: RouteFamily;
  /** unicast, local, broadcast, multicast, unreachable, blackhole, prohibit, throw, anycast. */
  readonly type: string;
  /** `default`, a prefix or a host address. */
  readonly dst: string;
  /** Next hop; for a multipath route the next hops joined by commas, sorted. */
  readonly gateway: string | null;
  readonly dev: string | null;
  /** kernel, static, dhcp, ra…; null is `boot`, which `ip` does not print. */
  readonly protocol: string | null;
  /** link, host…; null is `global` (universe), which `ip` does not print. */
  readonly scope: string | null;
  readonly metric: number | null;
};

export type DnsFact = {
  /** In file order: the resolver tries them in that order. */
  readonly nameservers: readonly string[];
  /** The effective search list (the last `search` or `domain` line wins, as in glibc). */
  readonly search: readonly string[];
  readonly options: readonly string[];
};

export const INTERFACE_KIND = 'interface';
export const ROUTE_KIND = 'route';
export const DNS_KIND = 'dns';

// `ip -j` needs iproute2 ≥ 4.13; BusyBox ip and older iproute2 only print text, so the snippet
// falls back to it and the parser tells the two apart by the leading `[`.
const IP_ADDR_COMMAND = 'command -v ip >/dev/null || exit 127; ip -j addr 2>/dev/null || ip addr';
const routeCommand = (family: '-4' | '-6') =>
  'command -v ip >/dev/null || exit 127; ' +
  `ip ${family} -j route show table all 2>/dev/null || ip ${family} route show table all`;

export const networkCommands = [
  { id: 'network.addr', command: IP_ADDR_COMMAND, why: 'interfaces, link addresses and IPs' },
  { id: 'network.route4', command: routeCommand('-4'), why: 'IPv4 routes of every table' },
  { id: 'network.route6', command: routeCommand('-6'), why: 'IPv6 routes of every table' },
  {
    id: 'network.resolv',
    // A host without /etc/resolv.conf has no resolver configuration: empty output, no fact.
    command: '[ -e /etc/resolv.conf ] || exit 0; cat /etc/resolv.conf',
    why: 'DNS resolvers and search domains (/etc/resolv.conf)',
  },
] as const satisfies readonly { id: string; command: string; why: string }[];

// ---------------------------------------------------------------------------------------------
// Interfaces

/** `ip -j addr` or `ip addr` (iproute2 or BusyBox text) → interface facts sorted by name. */
export function parseIpAddr(output: string): InterfaceFact[] {
  return output.trimStart().startsWith('[') ? parseIpAddrJson(output) : parseIpAddrText(output);
}

export function parseIpAddrJson(output: string): InterfaceFact[] {
  const links = parseJsonArray(output, 'ip -j addr');
  return sortByName(
    links.map((link) => {
      if (!isRecord(link)) throw new ParseError('ip -j addr: an interface is not an object');
      const name = identifier(str(link.ifname, 'ifname') ?? '', 'interface name');
      const addresses: string[] = [];
      const info = link.addr_info ?? [];
      if (!Array.isArray(info)) throw new ParseError(`ip -j addr: addr_info of ${name}`);
      for (const entry of info) {
        if (!isRecord(entry)) throw new ParseError(`ip -j addr: an address of ${name}`);
        const family = str(entry.family, 'family');
        const local = str(entry.local, 'local');
        if ((family !== 'inet' && family !== 'inet6') || local === null) continue;
        if (entry.temporary === true) continue;
        addresses.push(cidr(local, num(entry.prefixlen, 'prefixlen'), name));
      }
      return {
        name,
        mac: optionalText(str(link.address, 'address')),
        mtu: num(link.mtu, 'mtu'),
        state: optionalText(str(link.operstate, 'operstate')),
        type: optionalText(str(link.link_type, 'link_type')),
        addresses: sortAddresses(addresses),
      };
    }),
  );
}

type TextLink = {
  name: string;
  mac: string | null;
  mtu: number | null;
  state: string | null;
  type: string | null;
  addresses: string[];
};

export function parseIpAddrText(output: string): InterfaceFact[] {
  const links: TextLink[] = [];
  // `ip -o` style output puts `\` where the line breaks would be (seen mixed with normal lines).
  const lines = output.replace(/\\\s+/g, '\n    ').split('\n');
  for (const line of lines) {
    if (line.trim() === '') continue;
    const header = /^\d+:\s+([^:\s]+?)(?:@\S+)?:\s+<[^>]*>(.*)$/.exec(line);
    if (header) {
      const rest = header[2] ?? '';
      const mtu = /\bmtu (\d+)/.exec(rest)?.[1];
      links.push({
        name: identifier(header[1] ?? '', 'interface name'),
        mac: null,
        mtu: mtu === undefined ? null : Number(mtu),
        state: optionalText(/\bstate (\S+)/.exec(rest)?.[1]),
        type: null,
        addresses: [],
      });
      continue;
    }
    const current = links.at(-1);
    if (!current || !/^\s/.test(line)) {
      throw new ParseError(`ip addr: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const words = line.trim().split(/\s+/);
    const [first = '', second] = words;
    if (first.startsWith('link/')) {
      current.type = optionalText(first.slice('link/'.length));
      current.mac = second === undefined || second === 'brd' ? null : optionalText(second);
    } else if (first === 'inet' || first === 'inet6') {
      if (words.includes('temporary')) continue;
      current.addresses.push(textAddress(words, current.name));
    }
    // valid_lft, altname, vf, alias… lines carry nothing a fact keeps.
  }
  return sortByName(links.map((link) => ({ ...link, addresses: sortAddresses(link.addresses) })));
}

// `inet 10.0.0.1/24 …`, or for point-to-point links `inet 10.0.0.1 peer 10.0.0.2/32 …`,
// where the prefix length printed is the peer's, as in `ip -j` (local + prefixlen).
function textAddress(words: readonly string[], name: string): string {
  const [address = '', length] = (words[1] ?? '').split('/');
  const peer = words[2] === 'peer' ? words[3]?.split('/')[1] : undefined;
  const prefix = length ?? peer;
  if (prefix === undefined || !/^\d{1,3}$/.test(prefix)) {
    throw new ParseError(`ip addr: address of ${name} has no prefix length`);
  }
  return cidr(address, Number(prefix), name);
}

function cidr(address: string, prefixlen: number | null, name: string): string {
  if (!/^[0-9a-fA-F:.]{2,45}$/.test(address) || prefixlen === null || prefixlen > 128) {
    throw new ParseError(`ip addr: invalid address on ${name}`);
  }
  return `${address}/${prefixlen}`;
}

// IPv4 before IPv6, then by text: a stable order that does not depend on the kernel's.
function sortAddresses(addresses: string[]): string[] {
  const v6 = (a: string) => (a.includes(':') ? 1 : 0);
  return [...new Set(addresses)].sort((a, b) => v6(a) - v6(b) || compare(a, b));
}

function sortByName(links: InterfaceFact[]): InterfaceFact[] {
  const seen = new Set<string>();
  for (const link of links) {
    if (seen.has(link.name)) throw new ParseError(`ip addr lists ${link.name} twice`);
    seen.add(link.name);
  }
  return links.sort((a, b) => compare(a.name, b.name));
}

// ---------------------------------------------------------------------------------------------
// Routes

type RawRoute = {
  type: string;
  dst: string;
  gateway: string | null;
  dev: string | null;
  table: string;
  protocol: string | null;
  scope: string | null;
  metric: number | null;
  cached: boolean;
};

/** `ip -4|-6 [-j] route show table all` → route facts (kernel-generated local routes dropped). */
export function parseIpRoute(output: string, family: RouteFamily): RouteFact[] {
  const raw = output.trimStart().startsWith('[')
    ? parseIpRouteJson(output)
    : parseIpRouteText(output);
  // BusyBox ip never prints `proto`: then no route has one, and kernel routes are unmarked.
  const protocolShown = raw.some((route) => route.protocol !== null);
  const byKey = new Map<string, RouteFact>();
  for (const route of raw) {
    if (route.cached || isGeneratedLocal(route, protocolShown)) continue;
    const fact: RouteFact = {
      table: identifier(route.table, 'route table'),
      family,
      type: identifier(route.type, 'route type'),
      dst: identifier(route.dst, 'route destination'),
      gateway: route.gateway === null ? null : identifier(route.gateway, 'route gateway'),
      dev: route.dev === null ? null : identifier(route.dev, 'route device'),
      protocol: route.protocol === null ? null : identifier(route.protocol, 'route protocol'),
      scope: route.scope === null ? null : identifier(route.scope, 'route scope'),
      metric: route.metric,
    };
    const key = routeKey(fact);
    // Routes that differ only in what the key leaves out (tos, pref) are rare; keep the first.
    if (!byKey.has(key)) byKey.set(key, fact);
  }
  return [...byKey.values()];
}

/**
 * The local table holds one route per address (local, broadcast, and for IPv6 anycast and the
 * ff00::/8 multicast route) that the kernel adds and removes with the addresses themselves:
 * they restate the interface facts. Routes an operator put there (AnyIP `ip route add local
 * 10.0.0.0/24 dev lo`, protocol boot/static) are kept — except from BusyBox ip, which shows no
 * protocol to tell them apart.
 */
function isGeneratedLocal(route: RawRoute, protocolShown: boolean): boolean {
  if (route.table !== 'local') return false;
  if (!protocolShown) return true;
  return route.protocol === 'kernel' || route.protocol === 'none' || route.protocol === 'unspec';
}

/** `inet main default via 192.0.2.1 dev eth0 metric 100`: ip's own syntax, so it reads well. */
export function routeKey(route: RouteFact): string {
  const parts = [route.family, route.table];
  if (route.type !== 'unicast') parts.push(route.type);
  parts.push(route.dst);
  if (route.gateway !== null) parts.push('via', route.gateway);
  if (route.dev !== null) parts.push('dev', route.dev);
  if (route.metric !== null) parts.push('metric', String(route.metric));
  return parts.join(' ');
}

function parseIpRouteJson(output: string): RawRoute[] {
  return parseJsonArray(output, 'ip -j route').map((entry) => {
    if (!isRecord(entry)) throw new ParseError('ip -j route: a route is not an object');
    let gateway = str(entry.gateway, 'gateway');
    let dev = str(entry.dev, 'dev');
    if (Array.isArray(entry.nexthops)) {
      const hops = entry.nexthops.map((hop) => {
        if (!isRecord(hop)) throw new ParseError('ip -j route: a nexthop is not an object');
        return { gateway: str(hop.gateway, 'gateway'), dev: str(hop.dev, 'dev') };
      });
      gateway = joinSorted(hops.map((h) => h.gateway));
      dev = joinSorted(hops.map((h) => h.dev));
    }
    return {
      type: str(entry.type, 'type') ?? 'unicast',
      dst: str(entry.dst, 'dst') ?? '',
      gateway,
      dev,
      table: str(entry.table, 'table') ?? 'main',
      protocol: str(entry.protocol, 'protocol'),
      scope: str(entry.scope, 'scope'),
      metric: num(entry.metric, 'metric'),
      cached: 'cache' in entry,
    };
  });
}

const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'throw',
  'unreachable',
  'prohibit',
  'blackhole',
  'nat',
  'anycast',
]);
// Keywords followed by a value that the fact does not keep.
const ROUTE_VALUE_KEYWORDS = new Set([
  'src',
  'from',
  'pref',
  'expires',
  'mtu',
  'error',
  'hoplimit',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'initcwnd',
  'initrwnd',
  'ssthresh',
  'realm',
  'realms',
  'quickack',
  'features',
  'congctl',
  'fastopen_no_cookie',
  'weight',
  'nhid',
  'tos',
  'dsfield',
  'ttl-propagate',
  'rto_min',
]);

function parseIpRouteText(output: string): RawRoute[] {
  const routes: (RawRoute & { hops: { gateway: string | null; dev: string | null }[] })[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const words = line.trim().split(/\s+/);
    if (/^\s/.test(line)) {
      const current = routes.at(-1);
      if (!current) throw new ParseError('ip route: continuation line before any route');
      if (words[0] === 'cache') current.cached = true;
      if (words[0] === 'nexthop') {
        const hop = routeWords(words.slice(1));
        current.hops.push({ gateway: hop.gateway, dev: hop.dev });
      }
      continue;
    }
    let type = 'unicast';
    if (ROUTE_TYPES.has(words[0] ?? '') && words.length > 1) type = words.shift() ?? type;
    const dst = words.shift() ?? '';
    const fields = routeWords(words);
    routes.push({ type, dst, ...fields, cached: false, hops: [] });
  }
  return routes.map(({ hops, ...route }) =>
    hops.length === 0
      ? route
      : {
          ...route,
          gateway: joinSorted(hops.map((h) => h.gateway)),
          dev: joinSorted(hops.map((h) => h.dev)),
        },
  );
}

function routeWords(words: readonly string[]) {
  const fields = {
    gateway: null as string | null,
    dev: null as string | null,
    table: 'main',
    protocol: null as string | null,
    scope: null as string | null,
    metric: null as number | null,
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const next = () => {
      i++;
      const value = words[i];
      if (value === undefined) throw new ParseError(`ip route: ${word} without a value`);
      return value;
    };
    if (word === 'via') {
      // `via inet6 fe80::1`: an IPv4 route through an IPv6 next hop.
      let value = next();
      if (value === 'inet' || value === 'inet6') value = next();
      fields.gateway = value;
    } else if (word === 'dev') fields.dev = next();
    else if (word === 'table') fields.table = next();
    else if (word === 'proto') fields.protocol = next();
    else if (word === 'scope') fields.scope = next();
    else if (word === 'metric') {
      const value = next();
      if (!/^\d{1,10}$/.test(value)) throw new ParseError('ip route: metric is not a number');
      fields.metric = Number(value);
    } else if (word !== undefined && ROUTE_VALUE_KEYWORDS.has(word)) next();
    // Anything else is a flag (onlink, linkdown, dead…).
  }
  return fields;
}

function joinSorted(values: readonly (string | null)[]): string | null {
  const present = values.filter((v): v is string => v !== null).sort(compare);
  return present.length === 0 ? null : present.join(',');
}

// ---------------------------------------------------------------------------------------------
// Resolver

/** /etc/resolv.conf → DnsFact, or null when the file is absent or empty. */
export function parseResolvConf(output: string): DnsFact | null {
  const nameservers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword = '', ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined) nameservers.push(text(values[0]));
    else if (keyword === 'search' || keyword === 'domain') search = values.map(text);
    else if (keyword === 'options') options.push(...values.map(text));
    // sortlist and unknown keywords are ignored, as the resolver ignores the unknown ones.
  }
  return output.trim() === '' ? null : { nameservers, search, options };
}

// ---------------------------------------------------------------------------------------------
// The collector

export const networkCollector: Collector = {
  name: 'network',
  description: 'Network interfaces and addresses, routes and DNS resolver configuration',
  kinds: [INTERFACE_KIND, ROUTE_KIND, DNS_KIND],
  commands: networkCommands,
  parse(sections: Sections) {
    // Without `ip` (minimal images) the collector is unsupported rather than half-filled from
    // /sys: IPv4 addresses are not there, and a list without them would read as removals.
    const interfaces = parseIpAddr(okOutput(sections, 'network.addr'));
    const routes = [
      ...parseIpRoute(okOutput(sections, 'network.route4'), 'inet'),
      ...parseIpRoute(route6Output(sections), 'inet6'),
    ];
    const dns = parseResolvConf(okOutput(sections, 'network.resolv'));
    const facts: Fact[] = [
      ...interfaces.map((i) => ({ kind: INTERFACE_KIND, key: i.name, value: i })),
      ...routes
        .map((r) => ({ kind: ROUTE_KIND, key: routeKey(r), value: r }))
        .sort((a, b) => compare(a.key, b.key)),
    ];
    if (dns) facts.push({ kind: DNS_KIND, key: 'resolv', value: dns });
    return { facts };
  },
};

// A kernel booted with ipv6.disable=1 answers the IPv6 dump with EAFNOSUPPORT: it has no IPv6
// routes, which is not a failure of the collector.
function route6Output(sections: Sections): string {
  const section = sections.get('network.route6');
  if (
    section &&
    section.exitCode !== 0 &&
    section.exitCode !== NOT_FOUND &&
    !section.privilegeDenied &&
    /Address family not supported/i.test(section.stderrTail) &&
    section.stdout.trim() === ''
  ) {
    return '';
  }
  return okOutput(sections, 'network.route6');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function parseJsonArray(output: string, what: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new ParseError(`${what} printed invalid JSON`);
  }
  if (!Array.isArray(parsed)) throw new ParseError(`${what} did not print a JSON array`);
  return parsed;
}

function str(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ParseError(`ip -j: ${field} is not a string`);
}

function num(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ParseError(`ip -j: ${field} is not a non-negative integer`);
}

function optionalText(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === '' ? null : text(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
