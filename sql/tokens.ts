// API bearer tokens: "hi_" + 32 random bytes (base64url). Only SHA-256(token) is stored.
// Why not bcrypt/argon2: those slow hashes exist to protect low-entropy passwords from
// guessing; a 256-bit random token cannot be guessed at any hash speed. A slow, salted hash
// would cost tens of milliseconds of CPU on every request and would rule out finding the
// token by an index lookup on its hash.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client.ts';

export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

export const TOKEN_PREFIX = 'hi_';

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  bootstrap: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Whether `role` may do what `required` allows (viewer < operator < admin). */
export function roleAllows(role: Role, required: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(required);
}

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const columns = (sql: Sql) => sql`
  id, name, role, bootstrap, created_at as "createdAt", last_used_at as "lastUsedAt",
  revoked_at as "revokedAt"`;

/** Creates a token; the plaintext is returned here and never again. */
export async function createToken(
  sql: Sql,
  input: { name: string; role: Role },
): Promise<{ token: string; row: TokenRow }> {
  const token = generateToken();
  const [row] = await sql<TokenRow[]>`
    insert into api_tokens (name, role, token_hash)
    values (${input.name}, ${input.role}, ${hashToken(token)})
    returning ${columns(sql)}`;
  if (!row) throw new Error('insert returned no row');
  return { token, row };
}

/** The unrevoked token with this plaintext, or null. Notes its use at most once a minute. */
export async function findActiveToken(sql: Sql, token: string): Promise<TokenRow | null> {
  const [row] = await sql<TokenRow[]>`
    select ${columns(sql)} from api_tokens
    where token_hash = ${hashToken(token)} and revoked_at is null`;
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await sql`update api_tokens set last_used_at = now() where id = ${row.id}`;
  }
  return row;
}

export async function getToken(sql: Sql, id: string): Promise<TokenRow | null> {
  const [row] = await sql<TokenRow[]>`select ${columns(sql)} from api_tokens where id = ${id}`;
  return row ?? null;
}

/** Tokens by (created_at, id) after the cursor, revoked ones included. */
export async function listTokens(
  sql: Sql,
  options: { limit: number; after?: { createdAt: Date; id: string } | undefined },
): Promise<TokenRow[]> {
  const { after } = options;
  // Cursors carry milliseconds (JS dates): comparing at that precision repeats no row.
  const from = after
    ? sql`where (date_trunc('milliseconds', created_at), id) > (${after.createdAt}, ${after.id})`
    : sql``;
  return sql<TokenRow[]>`
    select ${columns(sql)} from api_tokens
    ${from}
    order by date_trunc('milliseconds', created_at), id
    limit ${options.limit}`;
}

/** Revokes the token; false when there is no such token or it was revoked already. */
export async function revokeToken(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`
    update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null
    returning id`;
  return rows.length > 0;
}

/** The bootstrap admin token's row, or null when none was ever made. */
export async function bootstrapToken(sql: Sql): Promise<TokenRow | null> {
  const [row] = await sql<TokenRow[]>`
    select ${columns(sql)} from api_tokens where bootstrap`;
  return row ?? null;
}

/**
 * Makes `token` the bootstrap admin token: inserts it, or re-keys and un-revokes the
 * existing one (HOSTINTEL_ADMIN_TOKEN is configuration: whatever it says holds).
 * With `onlyIfAbsent`, an existing bootstrap token is left alone (→ null).
 */
export async function upsertBootstrapToken(
  sql: Sql,
  token: string,
  options: { name: string; onlyIfAbsent?: boolean },
): Promise<TokenRow | null> {
  const hash = hashToken(token);
  const [row] = options.onlyIfAbsent
    ? await sql<TokenRow[]>`
        insert into api_tokens (name, role, token_hash, bootstrap)
        values (${options.name}, 'admin', ${hash}, true)
        on conflict (bootstrap) where bootstrap do nothing
        returning ${columns(sql)}`
    : await sql<TokenRow[]>`
        insert into api_tokens (name, role, token_hash, bootstrap)
        values (${options.name}, 'admin', ${hash}, true)
        on conflict (bootstrap) where bootstrap do update
          set token_hash = excluded.token_hash, name = excluded.name, role = 'admin',
            revoked_at = null
        returning ${columns(sql)}`;
  return row ?? null;
}
