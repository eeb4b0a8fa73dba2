// Host leases (migration 007): which runner probes which host. A lease holds as long as its
// runner's heartbeat (runners.expires_at, the database's clock), so a heartbeat is one row
// whatever the number of hosts. Claims take free leases — never owned, released, or naming a
// runner whose heartbeat expired — with FOR UPDATE SKIP LOCKED, so runners claiming at once
// never wait on each other nor take the same host.
import type { Sql } from './client.ts';

/** Who a runner is; written once at registration, shown by GET /v1/runners. */
export interface RunnerIdentity {
  id: string;
  name: string;
  hostname: string;
  pid: number;
  version: string;
}

export interface HeldLease {
  hostId: string;
  enabled: boolean;
  /** Claims of the host so far, this one included: 1 = never owned by another runner. */
  claims: number;
}

/** What a heartbeat learns: this runner's leases and what the fair share needs. */
export interface Beat {
  /** The runner's new expiry: that of every lease it holds. */
  expiresAt: Date;
  held: HeldLease[];
  /** Live runners, this one included. */
  liveRunners: number;
  hosts: { enabled: number; disabled: number };
  /** pg_postmaster_start_time(): changes when the server restarted (LISTENs are gone). */
  serverStartedAt: Date;
}

/** Leases whose runner's heartbeat has expired (or that name none) are free. */
function free(sql: Sql) {
  return sql`(l.runner_id is null or not exists (
    select from runners r where r.id = l.runner_id and r.expires_at > now()))`;
}

/**
 * Registers the runner on its first call (and again if its row was purged) and renews its
 * heartbeat, which renews every lease naming it — including those that lapsed and that nobody
 * claimed meanwhile (a lease another runner claimed names that runner).
 *
 * A runner that renews late (less than a third of the TTL left, or already expired) may race
 * a runner claiming its hosts at that very moment: it then reads its leases under FOR SHARE,
 * which waits for such a claim to commit (or makes it skip them), so the two never both think
 * they hold a host. On time, a heartbeat writes one row and locks nothing.
 */
export async function heartbeat(sql: Sql, runner: RunnerIdentity, ttlMs: number): Promise<Beat> {
  const [beat] = await sql<
    {
      expiresAt: Date;
      late: boolean;
      otherRunners: number;
      enabled: number;
      disabled: number;
      serverStartedAt: Date;
    }[]
  >`
    with prior as (select expires_at from runners where id = ${runner.id}),
    beat as (
      insert into runners (id, name, hostname, pid, version, ttl_ms, expires_at)
      values (${runner.id}, ${runner.name}, ${runner.hostname}, ${runner.pid}, ${runner.version},
        ${ttlMs}, now() + ${ttlMs} * interval '1 millisecond')
      on conflict (id) do update set heartbeat_at = now(), expires_at = excluded.expires_at,
        ttl_ms = excluded.ttl_ms, stopped_at = null
      returning expires_at
    )
    select (select expires_at from beat) as "expiresAt",
      coalesce((select expires_at from prior)
        < now() + ${ttlMs / 3} * interval '1 millisecond', true) as late,
      -- The statement sees the table as it was before its own upsert: count the others.
      (select count(*)::int from runners where id <> ${runner.id} and expires_at > now())
        as "otherRunners",
      (select count(*)::int from hosts where enabled) as enabled,
      (select count(*)::int from hosts where not enabled) as disabled,
      pg_postmaster_start_time() as "serverStartedAt"`;
  if (!beat) throw new Error('heartbeat returned no row');
  const held = await sql<HeldLease[]>`
    select l.host_id as "hostId", h.enabled, least(l.claims, 2147483647)::int as claims
    from host_leases l join hosts h on h.id = l.host_id
    where l.runner_id = ${runner.id}
    order by l.host_id
    ${beat.late ? sql`for share of l` : sql``}`;
  return {
    expiresAt: beat.expiresAt,
    held: [...held],
    liveRunners: beat.otherRunners + 1,
    hosts: { enabled: beat.enabled, disabled: beat.disabled },
    serverStartedAt: beat.serverStartedAt,
  };
}

/**
 * Claims up to `enabled` free enabled hosts and `disabled` free disabled ones. Nothing is
 * claimed by a runner whose own heartbeat has expired. Returns what was claimed.
 */
export async function claimHosts(
  sql: Sql,
  runnerId: string,
  want: { enabled: number; disabled: number },
): Promise<HeldLease[]> {
  if (want.enabled <= 0 && want.disabled <= 0) return [];
  const candidates = (enabled: boolean, limit: number) => sql`
    select l.host_id, h.enabled from host_leases l join hosts h on h.id = l.host_id
    where h.enabled = ${enabled} and ${free(sql)}
    order by l.host_id
    limit ${Math.max(0, limit)}
    for update of l skip locked`;
  return sql<HeldLease[]>`
    with me as (select from runners where id = ${runnerId} and expires_at > now()),
    free_on as (${candidates(true, want.enabled)}),
    free_off as (${candidates(false, want.disabled)}),
    picked as (select * from free_on union all select * from free_off)
    update host_leases l set runner_id = ${runnerId}, acquired_at = now(), claims = l.claims + 1
    from picked p
    where l.host_id = p.host_id and exists (select from me)
    returning l.host_id as "hostId", p.enabled, least(l.claims, 2147483647)::int as claims`;
}

/** Gives up leases this runner holds; returns the host ids released. */
export async function releaseHosts(
  sql: Sql,
  runnerId: string,
  hostIds: readonly string[],
): Promise<string[]> {
  if (hostIds.length === 0) return [];
  const rows = await sql<{ hostId: string }[]>`
    update host_leases set runner_id = null
    where runner_id = ${runnerId} and host_id = any(${[...hostIds]}::uuid[])
    returning host_id as "hostId"`;
  return rows.map((r) => r.hostId);
}

/** A clean stop: every lease released and the runner marked stopped, in one transaction. */
export async function retireRunner(sql: Sql, runnerId: string): Promise<number> {
  const [row] = await sql<{ released: number }[]>`
    with released as (
      update host_leases set runner_id = null where runner_id = ${runnerId}
      returning host_id
    ),
    stopped as (
      update runners set expires_at = now(), stopped_at = now() where id = ${runnerId}
      returning id
    )
    select (select count(*)::int from released) as released,
      (select count(*)::int from stopped) as stopped`;
  return row?.released ?? 0;
}

/** Deletes runners whose heartbeat expired more than `olderThanMs` ago; returns how many. */
export async function purgeRunners(sql: Sql, olderThanMs: number): Promise<number> {
  const rows = await sql`
    delete from runners where expires_at < now() - ${olderThanMs} * interval '1 millisecond'
    returning id`;
  return rows.length;
}

/** The live runner holding the host (or null), and when the server started. */
export async function leaseOwner(
  sql: Sql,
  hostId: string,
): Promise<{ runnerId: string | null; serverStartedAt: Date }> {
  const [row] = await sql<{ runnerId: string | null; serverStartedAt: Date }[]>`
    select (select l.runner_id from host_leases l join runners r on r.id = l.runner_id
        where l.host_id = ${hostId} and r.expires_at > now()) as "runnerId",
      pg_postmaster_start_time() as "serverStartedAt"`;
  if (!row) throw new Error('leaseOwner returned no row');
  return row;
}

/** Hosts no live runner holds right now. */
export async function unownedHosts(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from host_leases l where ${free(sql)}`;
  return row?.n ?? 0;
}
