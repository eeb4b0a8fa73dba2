// API tokens from the command line: the bootstrap admin token `serve` makes sure of at
// start, and `hostintel tokens create --role … [--name …]`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Sql } from '../sql/client.ts';
import { createPrivateFile } from '../sql/secrets.ts';
import {
  bootstrapToken,
  createToken,
  generateToken,
  type Role,
  roles,
  upsertBootstrapToken,
} from '../sql/tokens.ts';
import type { Config } from './config.ts';
import { withDatabase } from './database.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';
// An arbitrary constant naming "hostintel bootstrap token" in pg_advisory_lock's key space.
const LOCK_KEY = 0x686f737402;
// What http/auth.ts accepts after "Bearer ".
const USABLE_TOKEN = /^[\x21-\x7e]{16,1024}$/;

export class TokenCommandError extends Error {
  override readonly name = 'TokenCommandError';
}

export interface EnsureAdminTokenOptions {
  /** HOSTINTEL_ADMIN_TOKEN: when set it is the admin token, whatever was stored before. */
  adminToken: string | undefined;
  dataDir: string;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Where a generated token is shown, once (default: stderr). Never the log. */
  print?: (text: string) => void;
}

export interface EnsureAdminTokenResult {
  tokenId: string | null;
  /**
   * environment: HOSTINTEL_ADMIN_TOKEN; existing: made on an earlier start (kept even when
   * revoked); file: re-registered from <dataDir>/admin-token; generated: new, printed now.
   */
  source: 'environment' | 'existing' | 'file' | 'generated';
  file?: string;
}

/**
 * Makes sure an admin token exists. With HOSTINTEL_ADMIN_TOKEN that token is upserted;
 * otherwise one is generated on first start, written 0600 to <dataDir>/admin-token and
 * printed once. Safe when two processes start at once (an advisory lock orders them).
 */
export async function ensureAdminToken(
  sql: Sql,
  options: EnsureAdminTokenOptions,
): Promise<EnsureAdminTokenResult> {
  if (options.adminToken !== undefined && !USABLE_TOKEN.test(options.adminToken)) {
    // The Authorization header could never carry it: refuse rather than lock everyone out.
    throw new TokenCommandError(
      'HOSTINTEL_ADMIN_TOKEN must be 16 to 1024 visible ASCII characters (no spaces)',
    );
  }
  const file = path.join(options.dataDir, ADMIN_TOKEN_FILE);
  const print = options.print ?? ((text: string) => process.stderr.write(text));
  return sql.begin(async (transaction) => {
    const tx = transaction as unknown as Sql;
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    if (options.adminToken) {
      const row = await upsertBootstrapToken(tx, options.adminToken, {
        name: 'admin (HOSTINTEL_ADMIN_TOKEN)',
      });
      options.log.info({ tokenId: row?.id }, 'admin token set from HOSTINTEL_ADMIN_TOKEN');
      return { tokenId: row?.id ?? null, source: 'environment' as const };
    }
    const existing = await bootstrapToken(tx);
    if (existing) return { tokenId: existing.id, source: 'existing' as const };

    const saved = await readTokenFile(file);
    if (saved) {
      // The database was reset but the token file survived: the operator still has it.
      const row = await upsertBootstrapToken(tx, saved, { name: 'admin (generated)' });
      options.log.warn({ file, tokenId: row?.id }, 'admin token re-registered from its file');
      return { tokenId: row?.id ?? null, source: 'file' as const, file };
    }
    const token = generateToken();
    const row = await upsertBootstrapToken(tx, token, { name: 'admin (generated)' });
    await createPrivateFile(file, `${token}\n`);
    print(
      `\nhostintel: generated the initial admin token. It is shown only now and kept in\n` +
        `${file} (mode 0600):\n\n  ${token}\n\n` +
        'Create tokens for people and tools with it (POST /v1/tokens) and keep it safe.\n\n',
    );
    options.log.info({ file, tokenId: row?.id }, 'generated the initial admin token');
    return { tokenId: row?.id ?? null, source: 'generated' as const, file };
  }) as Promise<EnsureAdminTokenResult>;
}

async function readTokenFile(file: string): Promise<string | null> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token.length >= 16 ? token : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function parseRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) {
    throw new TokenCommandError(`--role must be one of ${roles.join(', ')}`);
  }
  return value as Role;
}

/**
 * `hostintel tokens create`: prints the new token alone on stdout (for scripts) and what it
 * is on stderr. Without DATABASE_URL it opens the embedded database, which works only
 * while `hostintel serve` is not running on the same data directory.
 */
export async function createTokenCommand(
  options: { role: string; name?: string | undefined },
  config: Config,
): Promise<void> {
  const role = parseRole(options.role);
  const name = options.name ?? `${role} (cli)`;
  await withDatabase(
    config,
    'create the token with POST /v1/tokens and the admin token',
    async (sql) => {
      const { token, row } = await createToken(sql, { name, role });
      process.stderr.write(`created ${role} token "${name}" (id ${row.id}); shown only now:\n`);
      process.stdout.write(`${token}\n`);
    },
  );
}
