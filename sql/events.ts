// Host events: unreachable, recovered, host key changed or pinned (see 020-host-events.sql).
import type { Sql } from './client.ts';

export const hostEventTypes = [
  'unreachable',
  'recovered',
  'host-key-changed',
  'host-key-pinned',
] as const;
export type HostEventType = (typeof hostEventTypes)[number];

export interface HostEventRow {
  id: number;
  hostId: string;
  at: Date;
  type: HostEventType;
  detail: Record<string, unknown>;
}

export async function recordHostEvent(
  sql: Sql,
  hostId: string,
  type: HostEventType,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await sql`
    insert into host_events (host_id, type, detail)
    select ${hostId}, ${type}, ${sql.json(detail as never)}
    where exists (select 1 from hosts where id = ${hostId})`;
}

export async function hostEvents(
  sql: Sql,
  hostId: string,
  options: { limit?: number; beforeId?: number } = {},
): Promise<HostEventRow[]> {
  return sql<HostEventRow[]>`
    select id::int, host_id as "hostId", at, type, detail from host_events
    where host_id = ${hostId} ${options.beforeId ? sql`and id < ${options.beforeId}` : sql``}
    order by id desc limit ${options.limit ?? 100}`;
}
