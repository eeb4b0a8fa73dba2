// SSH credentials. The secret half (key + passphrase, or password) is sealed with the
// SecretBox before it reaches the database and opened only where a connection is made:
// nothing here returns a plaintext secret except openCredential.
import { randomUUID } from 'node:crypto';
import type { SshAuth } from '../collectors/transport.ts';
import type { Sql } from './client.ts';
import type { SecretBox } from './secrets.ts';

export const credentialTypes = ['privateKey', 'password', 'agent'] as const;
export type CredentialType = (typeof credentialTypes)[number];

export type CredentialSecret =
  | { type: 'privateKey'; privateKey: string; passphrase?: string | undefined }
  | { type: 'password'; password: string }
  | { type: 'agent' };

/** A credential as anyone may see it: never its secret. */
export interface CredentialRow {
  id: string;
  name: string | null;
  type: CredentialType;
  /** Given inline with a host, and deleted with it. */
  inline: boolean;
  /** How many hosts use it. */
  hosts: number;
  createdAt: Date;
}

/** What a runner needs to open the secret: pass it to openCredential with the SecretBox. */
export interface SealedCredential {
  id: string;
  type: CredentialType;
  secret: Buffer | null;
}

export class CredentialNotFoundError extends Error {
  override readonly name = 'CredentialNotFoundError';
}

export class CredentialInUseError extends Error {
  override readonly name = 'CredentialInUseError';
}

/** The AAD that binds a sealed secret to its row. */
function context(id: string): string {
  return `credential:${id}`;
}

export async function createCredential(
  sql: Sql,
  box: SecretBox,
  input: { name?: string | null; secret: CredentialSecret; inline?: boolean },
): Promise<CredentialRow> {
  // The id is chosen here, not by the database, because the seal is bound to it.
  const id = randomUUID();
  const { type, ...secretFields } = input.secret;
  const sealed = type === 'agent' ? null : box.seal(JSON.stringify(secretFields), context(id));
  const [row] = await sql<CredentialRow[]>`
    insert into credentials (id, name, type, secret, inline)
    values (${id}, ${input.name ?? null}, ${type}, ${sealed}, ${input.inline ?? false})
    returning id, name, type, inline, 0 as hosts, created_at as "createdAt"`;
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function getCredential(sql: Sql, id: string): Promise<CredentialRow | null> {
  const [row] = await sql<CredentialRow[]>`
    select c.id, c.name, c.type, c.inline, c.created_at as "createdAt",
      (select count(*)::int from hosts h where h.credential_id = c.id) as hosts
    from credentials c where c.id = ${id}`;
  return row ?? null;
}

/** Stored (not inline) credentials by (created_at, id), after the cursor. */
export async function listCredentials(
  sql: Sql,
  options: { limit: number; after?: { createdAt: Date; id: string } | undefined },
): Promise<CredentialRow[]> {
  const { after } = options;
  // Cursors carry milliseconds (JS dates): comparing at that precision repeats no row.
  const from = after
    ? sql`and (date_trunc('milliseconds', c.created_at), c.id) > (${after.createdAt}, ${after.id})`
    : sql``;
  return sql<CredentialRow[]>`
    select c.id, c.name, c.type, c.inline, c.created_at as "createdAt",
      (select count(*)::int from hosts h where h.credential_id = c.id) as hosts
    from credentials c
    where not c.inline
      ${from}
    order by date_trunc('milliseconds', c.created_at), c.id
    limit ${options.limit}`;
}

/** false when there is no such credential; CredentialInUseError while a host uses it. */
export async function deleteCredential(sql: Sql, id: string): Promise<boolean> {
  try {
    const rows = await sql`delete from credentials where id = ${id} returning id`;
    return rows.length > 0;
  } catch (error) {
    if ((error as { code?: string }).code === '23503') {
      throw new CredentialInUseError(`credential ${id} is used by a host`, { cause: error });
    }
    throw error;
  }
}

/** The SSH authentication a sealed credential stands for. Throws SecretBoxError. */
export function openCredential(box: SecretBox, credential: SealedCredential): SshAuth {
  if (credential.type === 'agent') return { type: 'agent' };
  if (!credential.secret) {
    throw new Error(`credential ${credential.id} (${credential.type}) has no stored secret`);
  }
  const fields = JSON.parse(box.open(credential.secret, context(credential.id)).toString('utf8'));
  if (credential.type === 'password') return { type: 'password', password: fields.password };
  return fields.passphrase === undefined
    ? { type: 'privateKey', privateKey: fields.privateKey }
    : { type: 'privateKey', privateKey: fields.privateKey, passphrase: fields.passphrase };
}
