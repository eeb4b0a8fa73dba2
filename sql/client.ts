// The database client. Everything in sql/ takes a `Sql` and nothing reads the environment.
import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface ClientOptions {
  /** Pool size. A runner needs few: fact writes are one transaction per probe. */
  max?: number;
  /** Called for NOTICE messages; silent by default (migrations emit many). */
  onnotice?: (notice: postgres.Notice) => void;
}

export function createSql(url: string, options: ClientOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: options.onnotice ?? (() => {}),
    // Fail fast when the server is unreachable instead of hanging a probe or a request.
    connect_timeout: 10,
    idle_timeout: 60,
    // bigint columns come back as BigInt (exact); callers convert where a number is wanted.
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
    connection: { application_name: 'hostintel' },
  });
}
