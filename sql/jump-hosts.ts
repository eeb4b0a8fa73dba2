// A host's SSH target with its jump hosts resolved. `hosts.jump_host` is ssh's ProxyJump
// syntax (`[user@]host[:port]`, hops separated by commas, the first hop first). Each hop must
// be a registered host, found by name or by address: its credential logs in and its pinned
// key is verified like any host's. An unknown hop is refused, never dialled blind — its key
// could not be verified.
import { JumpHostError, type SshTarget } from '../collectors/transport.ts';
import type { Sql } from './client.ts';
import { hostsForRunner, type RunnerHost, sshTarget } from './hosts.ts';
import type { SecretBox } from './secrets.ts';

export interface JumpHop {
  user: string | null;
  host: string;
  port: number | null;
}

/** More hops than any real bastion chain; also bounds the work of a hostile value. */
const MAX_HOPS = 4;
const HOP = /^(?:([^@\s:[\]]+)@)?(?:\[([0-9A-Fa-f:.]+)\]|([^@\s:[\],]+))(?::(\d{1,5}))?$/;

/** The hops of a ProxyJump value, first hop first; throws JumpHostError when malformed. */
export function parseJumpSpec(spec: string): JumpHop[] {
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.length > MAX_HOPS) {
    throw new JumpHostError(`jump host chain "${spec}" has more than ${MAX_HOPS} hops`);
  }
  return parts.map((part) => {
    const match = HOP.exec(part);
    const port = match?.[4] === undefined ? null : Number(match[4]);
    if (!match || (port !== null && (port < 1 || port > 65_535))) {
      throw new JumpHostError(`jump host "${part}" is not [user@]host[:port]`);
    }
    return { user: match[1] ?? null, host: (match[2] ?? match[3]) as string, port };
  });
}

/** Whether `spec` is a well-formed ProxyJump value (API validation). */
export function isJumpSpec(spec: string): boolean {
  try {
    parseJumpSpec(spec);
    return true;
  } catch {
    return false;
  }
}

/**
 * The host's target (`sshTarget(host, box)`), reached through its jump hosts when it has
 * any. Throws JumpHostError when a hop is malformed, not registered, or has no credential.
 */
export async function targetWithJumps(
  sql: Sql,
  host: RunnerHost,
  target: SshTarget,
  box: SecretBox,
): Promise<SshTarget> {
  if (!host.jumpHost) return target;
  const hops = parseJumpSpec(host.jumpHost);
  const candidates = await registeredHops(sql, hops);
  // ssh connects to the first hop directly and to each next one through the previous.
  let previous: SshTarget | undefined;
  for (const hop of hops) {
    const found = pickHop(candidates, hop);
    if (!found || found.id === host.id) {
      throw new JumpHostError(
        `jump host "${hop.host}" is not a registered host: register it so that its key is verified`,
      );
    }
    const hopTarget = sshTarget(found, box);
    if (!hopTarget) throw new JumpHostError(`jump host "${found.name}" has no credential`);
    previous = {
      ...hopTarget,
      username: hop.user ?? hopTarget.username,
      port: hop.port ?? hopTarget.port,
      ...(previous ? { jump: previous } : {}),
    };
  }
  return { ...target, jump: previous };
}

async function registeredHops(sql: Sql, hops: readonly JumpHop[]): Promise<RunnerHost[]> {
  const names = hops.map((h) => h.host);
  const rows = await sql<{ id: string }[]>`
    select id from hosts where name = any(${names}::text[]) or address = any(${names}::text[])`;
  return rows.length === 0 ? [] : hostsForRunner(sql, { ids: rows.map((r) => r.id) });
}

/** By name first (names are unique), else by address and port (or the only host there). */
function pickHop(hosts: readonly RunnerHost[], hop: JumpHop): RunnerHost | undefined {
  const named = hosts.find((h) => h.name === hop.host);
  if (named) return named;
  const at = hosts.filter((h) => h.address === hop.host);
  return at.find((h) => h.port === (hop.port ?? 22)) ?? (at.length === 1 ? at[0] : undefined);
}
