// The ways a simulated host can misbehave, and the CLI's text form of them.

export type Fault =
  /** Every exec answers only after `ms` milliseconds. */
  | { type: 'slow'; ms: number }
  /** The exec is accepted and the script read; nothing is ever answered. */
  | { type: 'hang' }
  /** Part of the output (`fraction` of it, default half) is sent, then the TCP socket dies. */
  | { type: 'disconnect'; fraction?: number }
  /** Every authentication attempt is rejected. */
  | { type: 'auth-failure' }
  /** The host presents another host key than the one it was created with (until cleared). */
  | { type: 'host-key-change' }
  /**
   * `random`: random bytes instead of the framed output. `sections` (default): the framing is
   * intact but the stdout of the given collectors' sections (default: packages) is random, or
   * `stdout` when given (garbage that must reach a parser's error message, e.g. a NUL).
   */
  | {
      type: 'garbage';
      mode?: 'random' | 'sections';
      collectors?: readonly string[];
      stdout?: string;
    }
  /** One section (default packages.dpkg) streams `bytes` (default 100 MiB) of output. */
  | { type: 'oversized'; bytes?: number; section?: string }
  /** Every command of the collector answers 127, as when its tool is not installed. */
  | { type: 'tool-missing'; collector: string }
  /**
   * `password` (default): sudo works for the probe's `sudo -n` check but every root section
   * then fails with "sudo: a password is required" (rc 1). `no-sudo`: the check itself fails,
   * so the script runs `required` sections not at all (126) and `preferred` ones as the user.
   */
  | { type: 'sudo-refused'; variant?: 'password' | 'no-sudo' };

export const faultTypes = [
  'slow',
  'hang',
  'disconnect',
  'auth-failure',
  'host-key-change',
  'garbage',
  'oversized',
  'tool-missing',
  'sudo-refused',
] as const satisfies readonly Fault['type'][];

export type FaultType = (typeof faultTypes)[number];

function faultFromText(text: string): Fault {
  const [type = '', arg] = text.split('=', 2);
  switch (type) {
    case 'slow':
      return { type, ms: arg === undefined ? 1000 : Number(arg) };
    case 'hang':
    case 'auth-failure':
    case 'host-key-change':
      return { type };
    case 'disconnect':
      return arg === undefined ? { type } : { type, fraction: Number(arg) };
    case 'garbage':
      if (arg === undefined || arg === 'sections') return { type, mode: 'sections' };
      if (arg === 'random') return { type, mode: 'random' };
      return { type, mode: 'sections', collectors: arg.split('+') };
    case 'oversized':
      return arg === undefined ? { type } : { type, bytes: Number(arg) };
    case 'tool-missing':
      if (!arg) throw new Error('tool-missing needs a collector: tool-missing=<collector>');
      return { type, collector: arg };
    case 'sudo-refused':
      if (arg === undefined) return { type };
      if (arg === 'password' || arg === 'no-sudo') return { type, variant: arg };
      throw new Error(`sudo-refused=${arg}: expected password or no-sudo`);
    default:
      throw new Error(`unknown fault ${JSON.stringify(type)} (known: ${faultTypes.join(', ')})`);
  }
}

/**
 * `<hosts>:<fault>[=<arg>]` items separated by commas, hosts being `N` or `N-M`, e.g.
 * `0:hang,1-3:slow=2000,4:tool-missing=listeners,5:garbage=random,6:oversized=104857600`.
 * Several faults on one host accumulate.
 */
export function parseFaultSpec(spec: string): Map<number, Fault[]> {
  const faults = new Map<number, Fault[]>();
  for (const item of spec.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const match = /^(\d+)(?:-(\d+))?:(.+)$/.exec(item);
    if (!match?.[1] || !match[3]) throw new Error(`bad fault item ${JSON.stringify(item)}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    const fault = faultFromText(match[3]);
    for (let i = first; i <= last; i++) faults.set(i, [...(faults.get(i) ?? []), fault]);
  }
  return faults;
}

export function faultOf<T extends FaultType>(
  faults: readonly Fault[],
  type: T,
): Extract<Fault, { type: T }> | undefined {
  return faults.find((f): f is Extract<Fault, { type: T }> => f.type === type);
}
