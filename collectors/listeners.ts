// The listeners collector: TCP and UDP sockets waiting for traffic, with the process that owns
// them. Only the process name (comm, as ss prints it) is kept, never a command line.
import { ParseError } from './errors.ts';
import { identifier, text } from './sanitize.ts';
import { okOutput } from './section.ts';
import type { Collector, Fact, Sections } from './types.ts';

export type ListenerProtocol = 'tcp' | 'udp';

export type ListenerFact = {
  readonly protocol: ListenerProtocol;
  /**
   * The bound address as ss prints it without brackets: `0.0.0.0`, `::`, `*` (an IPv6 socket
   * that also accepts IPv4), `::ffff:127.0.0.1`, and with `%dev` when bound to a device
   * (`127.0.0.53%lo`, `fe80::1%eth0`).
   */
  readonly address: string;
  readonly port: number;
  /** Process name (at most 15 characters); null when not visible (no root, kernel socket). */
  readonly process: string | null;
  readonly pid: number | null;
};

export const LISTENER_KIND = 'listener';

export const listenersCommands = [
  {
    id: 'listeners.ss',
    // ss before iproute2 4.x has no -H (no header): then the header line comes and is skipped.
    command: 'ss -H -tulpn 2>/dev/null || ss -tulpn',
    root: 'preferred',
    why: 'listening TCP/UDP sockets and their processes (root sees every process)',
  },
] as const satisfies readonly {
  id: string;
  command: string;
  root?: 'required' | 'preferred';
  why: string;
}[];

type Owner = { process: string; pid: number };

/**
 * `ss -tulpn` with or without -H → listener facts keyed `${protocol}/${address}/${port}`.
 * Several sockets on one address and port (SO_REUSEPORT, a socket shared after fork) become
 * one fact, owned by the lowest pid among them — the parent or master process, which outlives
 * its workers, so the fact does not change when workers are recycled. pid 1 only counts when
 * it is the sole owner: with socket activation systemd keeps a copy of the socket it passed
 * to the service, and the service is the owner worth naming.
 */
export function parseSs(output: string): ListenerFact[] {
  const byKey = new Map<string, { fact: Omit<ListenerFact, 'process' | 'pid'>; owners: Owner[] }>();
  for (const line of output.split('\n')) {
    if (line.trim() === '' || /^(Netid|State)\s/.test(line)) continue;
    const words = line.trim().split(/\s+/);
    const protocol = words[0];
    if (protocol !== 'tcp' && protocol !== 'udp') {
      throw new ParseError(`ss: unexpected socket type in ${JSON.stringify(line.slice(0, 80))}`);
    }
    // Old ss leaves the State column empty; Recv-Q and Send-Q are the first two numbers.
    const queues = words.findIndex(
      (w, i) => i > 0 && /^\d+$/.test(w) && /^\d+$/.test(words[i + 1] ?? ''),
    );
    const local = queues > 0 ? words[queues + 2] : undefined;
    if (local === undefined || words[queues + 3] === undefined) {
      throw new ParseError(`ss: unreadable line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const { address, port } = splitLocal(local);
    const key = `${protocol}/${address}/${port}`;
    const entry = byKey.get(key) ?? { fact: { protocol, address, port }, owners: [] };
    entry.owners.push(...owners(words.slice(queues + 4).join(' ')));
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .map(({ fact, owners }) => {
      const named = owners.some((o) => o.pid !== 1) ? owners.filter((o) => o.pid !== 1) : owners;
      const owner = named.reduce<Owner | null>(
        (min, o) => (min && min.pid <= o.pid ? min : o),
        null,
      );
      return { ...fact, process: owner?.process ?? null, pid: owner?.pid ?? null };
    })
    .sort((a, b) => compare(listenerKey(a), listenerKey(b)));
}

export function listenerKey(listener: Pick<ListenerFact, 'protocol' | 'address' | 'port'>) {
  return `${listener.protocol}/${listener.address}/${listener.port}`;
}

// `0.0.0.0:22`, `[::]:22`, `*:80`, `127.0.0.53%lo:53`, `[fe80::1]%eth0:9200`, and from old ss
// `:::22` and `::ffff:10.0.2.15:9200` without brackets: the port is after the last colon.
function splitLocal(local: string): { address: string; port: number } {
  const colon = local.lastIndexOf(':');
  const rawAddress = local.slice(0, colon);
  const port = local.slice(colon + 1);
  if (colon <= 0 || !/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new ParseError(`ss: unreadable local address ${JSON.stringify(local.slice(0, 80))}`);
  }
  const bracketed = /^\[([^\]]*)\](%.+)?$/.exec(rawAddress);
  const address = bracketed ? `${bracketed[1]}${bracketed[2] ?? ''}` : rawAddress;
  if (!/^(\*|[0-9a-fA-F:.]+)(%.+)?$/.test(address)) {
    throw new ParseError(`ss: unreadable address ${JSON.stringify(address.slice(0, 80))}`);
  }
  return { address: identifier(address, 'listener address'), port: Number(port) };
}

// users:(("sshd",pid=1222,fd=3),("sshd",pid=1200,fd=3)); ss before 2015 printed ("sshd",1222,3).
function owners(rest: string): Owner[] {
  const found: Owner[] = [];
  for (const m of rest.matchAll(/\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d{1,10}),/g)) {
    const name = m[1] ?? '';
    if (name === '') continue;
    found.push({ process: text(name), pid: Number(m[2]) });
  }
  return found;
}

export const listenersCollector: Collector = {
  name: 'listeners',
  description: 'Listening TCP and UDP sockets with their owning process',
  kinds: [LISTENER_KIND],
  commands: listenersCommands,
  parse(sections: Sections) {
    // No fallback: without ss (Debian minbase) the collector is unsupported. netstat -p would
    // read /proc/<pid>/cmdline, which the privacy rules forbid, and truncates IPv6 addresses.
    const listeners = parseSs(okOutput(sections, 'listeners.ss'));
    const facts: Fact[] = listeners.map((l) => ({
      kind: LISTENER_KIND,
      key: listenerKey(l),
      value: l,
    }));
    return { facts };
  },
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
