// What runner and API processes sharing one database need of it besides leases
// (sql/leases.ts): the runners as GET /v1/runners lists them; LISTEN that survives a server
// restart; probe requests from an API process to the runner holding the host (NOTIFY
// hostintel_probe_requests, answered on hostintel_probe_answers); work done by one runner at a
// time (advisory lock). Sessions that survive a server restart: sql/safe-sessions.ts.
import { randomUUID } from 'node:crypto';
import type { Sql } from './client.ts';
import { leaseOwner } from './leases.ts';

export interface RunnerRow {
  id: string;
  name: string;
  hostname: string;
  pid: number;
  version: string;
  ttlMs: number;
  startedAt: Date;
  heartbeatAt: Date;
  expiresAt: Date;
  stoppedAt: Date | null;
  /** The heartbeat has not expired (database clock). */
  live: boolean;
  /** Milliseconds since the last heartbeat, and since the runner started. */
  heartbeatAgeMs: number;
  ageMs: number;
  /** Hosts whose valid lease it holds, and how many of them are enabled. */
  hosts: number;
  enabledHosts: number;
}

type RunnerDbRow = RunnerRow & { cursorAt: string };

/** Runners newest first, paginated on (started_at, id); each with its valid leases. */
export async function listRunners(
  sql: Sql,
  options: { limit: number; after?: { at: string; id: string } | undefined },
): Promise<(RunnerRow & { cursorAt: string })[]> {
  const { after } = options;
  return sql<RunnerDbRow[]>`
    select r.id, r.name, r.hostname, r.pid, r.version, r.ttl_ms as "ttlMs",
      r.started_at as "startedAt", r.heartbeat_at as "heartbeatAt", r.expires_at as "expiresAt",
      r.stopped_at as "stoppedAt", r.expires_at > now() as live,
      greatest(0, extract(epoch from now() - r.heartbeat_at) * 1000)::float8 as "heartbeatAgeMs",
      greatest(0, extract(epoch from now() - r.started_at) * 1000)::float8 as "ageMs",
      coalesce(c.hosts, 0) as hosts, coalesce(c.enabled, 0) as "enabledHosts",
      to_char(r.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "cursorAt"
    from runners r
    left join lateral (
      select count(*)::int as hosts, (count(*) filter (where h.enabled))::int as enabled
      from host_leases l join hosts h on h.id = l.host_id
      where l.runner_id = r.id and r.expires_at > now()
    ) c on true
    where true
      ${after ? sql`and (r.started_at, r.id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
    order by r.started_at desc, r.id desc
    limit ${options.limit}`;
}

// ---- Listening that survives a server restart ----

export interface Channel {
  /**
   * Listens again. postgres.js re-listens once when its connection drops and gives up if the
   * server is still down at that moment; call this when the server is back (a heartbeat
   * notices). A message is never delivered twice: the previous registration goes quiet.
   */
  rearm(): Promise<void>;
  close(): Promise<void>;
}

export async function listenChannel(
  sql: Sql,
  channel: string,
  onMessage: (payload: string) => void,
): Promise<Channel> {
  let generation = 0;
  // postgres.js re-registers the same function after a reconnect, so each registration gets
  // its own wrapper and only the newest one delivers.
  const register = () => {
    const mine = ++generation;
    return sql.listen(channel, (payload) => {
      if (mine === generation) onMessage(payload);
    });
  };
  let current = await register();
  let closed = false;
  return {
    async rearm() {
      if (closed) return;
      await current.unlisten().catch(() => {});
      current = await register();
    },
    async close() {
      closed = true;
      generation++;
      await current.unlisten().catch(() => {});
    },
  };
}

// ---- Probe requests across processes ----

export const PROBE_REQUESTS_CHANNEL = 'hostintel_probe_requests';
export const PROBE_ANSWERS_CHANNEL = 'hostintel_probe_answers';

/** The runner's answer; the same shape as HostControl's ProbeRequestResult. */
export type ProbeRequestAnswer =
  | { accepted: true; probeId: string }
  | {
      accepted: false;
      reason: 'in-flight' | 'debounce' | 'paused' | 'unknown-host';
      retryAfterMs: number;
    };

export interface ProbeRequest {
  requestId: string;
  hostId: string;
  /** The runner that held the lease when the request was sent: only it answers. */
  runnerId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REFUSALS: readonly string[] = ['in-flight', 'debounce', 'paused', 'unknown-host'];
const UNKNOWN_HOST: ProbeRequestAnswer = {
  accepted: false,
  reason: 'unknown-host',
  retryAfterMs: 0,
};

function parseJson(payload: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(payload);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** A request read off the channel (any database user can NOTIFY: checked, never trusted). */
export function parseProbeRequest(payload: string): ProbeRequest | null {
  const v = parseJson(payload);
  if (!v || !isUuid(v.requestId) || !isUuid(v.hostId) || !isUuid(v.runnerId)) return null;
  return { requestId: v.requestId, hostId: v.hostId, runnerId: v.runnerId };
}

export function parseProbeAnswer(
  payload: string,
): { requestId: string; answer: ProbeRequestAnswer } | null {
  const v = parseJson(payload);
  const a = v?.answer as Record<string, unknown> | undefined;
  if (!v || !isUuid(v.requestId) || !a || typeof a !== 'object') return null;
  if (a.accepted === true && typeof a.probeId === 'string' && a.probeId.length <= 100) {
    return { requestId: v.requestId, answer: { accepted: true, probeId: a.probeId } };
  }
  const retryAfterMs = Number(a.retryAfterMs);
  if (a.accepted !== false || !REFUSALS.includes(a.reason as string)) return null;
  if (!(Number.isFinite(retryAfterMs) && retryAfterMs >= 0)) return null;
  const reason = a.reason as Extract<ProbeRequestAnswer, { accepted: false }>['reason'];
  return { requestId: v.requestId, answer: { accepted: false, reason, retryAfterMs } };
}

export async function answerProbeRequest(
  sql: Sql,
  requestId: string,
  answer: ProbeRequestAnswer,
): Promise<void> {
  await sql.notify(PROBE_ANSWERS_CHANNEL, JSON.stringify({ requestId, answer }));
}

export interface ProbeRequestClient {
  /** Asks the runner holding the host for a probe now; unknown-host when none holds it. */
  request(hostId: string): Promise<ProbeRequestAnswer>;
  close(): Promise<void>;
}

/**
 * The API side of cross-process probe requests. A host no runner holds is answered at once;
 * otherwise its runner has `timeoutMs` to answer (it may have died with its lease still
 * valid), after which the answer is unknown-host.
 */
export function createProbeRequestClient(
  sql: Sql,
  options: { timeoutMs?: number } = {},
): ProbeRequestClient {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const pending = new Map<string, (answer: ProbeRequestAnswer) => void>();
  let channel: Promise<Channel> | null = null;
  let listeningOn: number | null = null;
  let stale = false;
  const onAnswer = (payload: string) => {
    const parsed = parseProbeAnswer(payload);
    if (parsed) pending.get(parsed.requestId)?.(parsed.answer);
  };
  const listening = async (serverStartedAt: number) => {
    channel ??= listenChannel(sql, PROBE_ANSWERS_CHANNEL, onAnswer);
    const current = await channel.catch((error: unknown) => {
      channel = null;
      throw error;
    });
    // The server restarted since we listened, or a runner did not answer: listen again.
    if (stale || (listeningOn !== null && listeningOn !== serverStartedAt)) {
      await current.rearm();
      stale = false;
    }
    listeningOn = serverStartedAt;
  };

  return {
    async request(hostId) {
      const owner = await leaseOwner(sql, hostId);
      if (!owner.runnerId) return UNKNOWN_HOST;
      await listening(owner.serverStartedAt.getTime());
      const requestId = randomUUID();
      let timer: NodeJS.Timeout | undefined;
      const answer = new Promise<ProbeRequestAnswer | null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
        pending.set(requestId, resolve);
      });
      try {
        const request: ProbeRequest = { requestId, hostId, runnerId: owner.runnerId };
        await sql.notify(PROBE_REQUESTS_CHANNEL, JSON.stringify(request));
        const answered = await answer;
        if (answered) return answered;
        stale = true;
        return UNKNOWN_HOST;
      } finally {
        clearTimeout(timer);
        pending.delete(requestId);
      }
    },
    async close() {
      const current = channel;
      channel = null;
      await (await current?.catch(() => null))?.close();
    },
  };
}

// ---- Work one runner at a time ----

/**
 * Runs `work` only if no other session holds the advisory lock (classId, 0), holding it on a
 * reserved connection meanwhile; false when another runner was at it.
 */
export async function exclusively(
  sql: Sql,
  classId: number,
  work: () => Promise<void>,
): Promise<boolean> {
  const connection = await sql.reserve();
  try {
    const [row] = await connection<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${classId}, 0) as locked`;
    if (!row?.locked) return false;
    try {
      await work();
    } finally {
      await connection`select pg_advisory_unlock(${classId}, 0)`.catch(() => {});
    }
    return true;
  } finally {
    connection.release();
  }
}
