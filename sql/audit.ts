// The audit log: one row per authenticated mutating API request, whatever its outcome.
import type { Sql } from './client.ts';

export interface AuditEntry {
  tokenId: string | null;
  tokenName: string | null;
  role: string | null;
  method: string;
  /** The route pattern ("/v1/hosts/:id"); null when no route matched. */
  route: string | null;
  path: string;
  targetId: string | null;
  status: number;
  requestId: string | null;
}

export interface AuditRow extends AuditEntry {
  id: number;
  at: Date;
}

export async function recordAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql`
    insert into audit_log (token_id, token_name, role, method, route, path, target_id, status,
      request_id)
    values (${entry.tokenId}, ${entry.tokenName}, ${entry.role}, ${entry.method},
      ${entry.route}, ${entry.path}, ${entry.targetId}, ${entry.status}, ${entry.requestId})`;
}

/** Newest first, before the cursor (an id), optionally for one token or one target. */
export async function listAudit(
  sql: Sql,
  options: {
    limit: number;
    before?: number | undefined;
    tokenId?: string | undefined;
    targetId?: string | undefined;
  },
): Promise<AuditRow[]> {
  const rows = await sql<(Omit<AuditRow, 'id'> & { id: bigint })[]>`
    select id, at, token_id as "tokenId", token_name as "tokenName", role, method, route, path,
      target_id as "targetId", status, request_id as "requestId"
    from audit_log
    where true
      ${options.before === undefined ? sql`` : sql`and id < ${options.before}`}
      ${options.tokenId ? sql`and token_id = ${options.tokenId}` : sql``}
      ${options.targetId ? sql`and target_id = ${options.targetId}` : sql``}
    order by id desc
    limit ${options.limit}`;
  // bigint columns arrive as BigInt (sql/client.ts); audit ids stay far below 2^53.
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}
