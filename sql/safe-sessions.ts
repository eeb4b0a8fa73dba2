// Reserved connections and transactions guarded against a postgres.js bug that would end the
// process when the database server restarts (withSafeSessions), and telling a lost connection
// from a failed statement (isConnectionError).
import type postgres from 'postgres';
import type { Sql } from './client.ts';

type Reserved = Awaited<ReturnType<Sql['reserve']>>;
type Query = postgres.PendingQuery<postgres.Row[]>;
interface QueryInternals {
  handler: (query: QueryInternals) => void;
  reject: (error: unknown) => void;
}

/** Errors of the connection itself (unreachable, closed, shut down), not of a statement. */
export function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return /^(CONNECTION_|E[A-Z]+$|57P|08)/.test(code);
}

function lostError(): Error {
  return Object.assign(new Error('the database session was lost (server restart?)'), {
    code: 'CONNECTION_CLOSED',
  });
}

/** One reserved connection or transaction, as the guard follows it. */
interface Session {
  /** Pool connections closed when this session began (see withSafeSessions). */
  since: number;
  pid: number | null;
  server: Date | null;
  lost: boolean;
  /** Keeps the statements of a session in order while one waits for a check. */
  chain: Promise<void>;
}

/**
 * `sql` whose reserved connections and transactions survive their server going away.
 *
 * postgres.js 3.4.9 (porsager/postgres#1208, open) throws from a timer — an uncaught exception
 * that ends the process — when a statement is sent on a connection whose socket has closed:
 * the next statement of a reserved connection, or of a transaction (the driver's own ROLLBACK
 * after the close made the transaction's callback fail), and release() puts such a connection
 * back into the pool for the next query to do the same. A database restart during probes
 * (probe locks and COPY on reserved connections, fact writes in transactions) thus killed the
 * runner.
 *
 * Here a statement of such a session is sent as before while no pool connection has closed
 * since the session began (the driver's onclose hook counts them: the common case costs
 * nothing); otherwise only once the database confirms the session still exists. A session that
 * is gone is never written to again: a reserved connection's statements fail at once and it is
 * not released (the driver already moved it to its closed connections, to reconnect); a
 * transaction's statements stay pending, so that its callback never gets to a ROLLBACK, while
 * begin() itself fails with the connection's error as usual. Remove when the driver is fixed.
 */
export function withSafeSessions(sql: Sql): Sql {
  if ((sql as unknown as Record<symbol, unknown>)[SAFE_SESSIONS]) return sql;
  let closes = 0;
  const previous = sql.options.onclose;
  sql.options.onclose = (connectionId) => {
    closes++;
    previous?.(connectionId);
  };

  const alive = async (session: Session): Promise<boolean> => {
    // Its identity never came back (and not for a lost connection): nothing to ask about.
    if (session.pid === null) return true;
    // Asking cannot lose the session; a database that does not answer for 30 s has lost it.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const [row] = await sql<{ alive: boolean }[]>`
          select exists (select from pg_stat_activity where pid = ${session.pid})
            and (${session.server}::timestamptz is null
              or date_trunc('milliseconds', pg_postmaster_start_time())
                = ${session.server}::timestamptz) as alive`;
        return row?.alive ?? false;
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    return false;
  };

  /** The query, sent through the guard; `hang`: a lost session's statements never settle. */
  const guarded = (query: Query, session: Session, hang: boolean): Query => {
    const q = query as unknown as QueryInternals;
    const send = q.handler;
    q.handler = (self) => {
      const { reject } = self;
      self.reject = (error) => {
        if (isConnectionError(error)) session.lost = true;
        if (!(hang && session.lost)) reject(error);
      };
      const refuse = () => {
        if (!hang) reject(lostError());
      };
      if (session.lost) return refuse();
      if (closes === session.since) return send(self);
      session.chain = session.chain.then(async () => {
        if (!session.lost && !(await alive(session))) session.lost = true;
        if (session.lost) refuse();
        else send(self);
      });
    };
    return query;
  };

  /** `target` (a reserved connection or a transaction) with every statement guarded. */
  const guardAll = <T extends Sql>(target: T, session: Session, hang: boolean): T =>
    new Proxy(target, {
      apply(fn, self, args: unknown[]) {
        const result = Reflect.apply(fn, self, args);
        const strings = args[0] as { raw?: unknown } | undefined;
        // A tagged template is a statement (or a fragment: guarding it does not send it);
        // any other call builds a helper.
        return Array.isArray(strings) && strings.raw ? guarded(result, session, hang) : result;
      },
      get(fn, property, receiver) {
        const value = Reflect.get(fn, property, receiver);
        if (property === 'unsafe') {
          return (...args: Parameters<Sql['unsafe']>) =>
            guarded(fn.unsafe(...args) as unknown as Query, session, hang);
        }
        if (property === 'savepoint' && typeof value === 'function') {
          return (...args: unknown[]) => {
            const body = args.pop() as (sp: Sql) => unknown;
            return (value as (...a: unknown[]) => unknown).apply(fn, [
              ...args,
              (sp: Sql) => body(guardAll(sp, session, hang)),
            ]);
          };
        }
        return value;
      },
    });

  const reserve = async (): Promise<Reserved> => {
    const connection = await sql.reserve();
    const session: Session = {
      since: closes,
      pid: null,
      server: null,
      lost: false,
      chain: Promise.resolve(),
    };
    // Which session this is, pipelined ahead of the caller's first statement (no round trip).
    session.chain = connection<{ pid: number; server: Date }[]>`
      select pg_backend_pid() as pid, pg_postmaster_start_time() as server`.then(
      ([row]) => {
        session.pid = row?.pid ?? null;
        session.server = row?.server ?? null;
      },
      (error: unknown) => {
        if (isConnectionError(error)) session.lost = true;
      },
    );
    const safe = guardAll(connection as Sql, session, false) as Reserved;
    return new Proxy(safe, {
      get(target, property, receiver) {
        if (property !== 'release') return Reflect.get(target, property, receiver);
        return () => {
          if (session.lost) return;
          if (closes === session.since) return connection.release();
          session.chain = session.chain.then(async () => {
            if (!session.lost && (await alive(session))) connection.release();
          });
        };
      },
    });
  };

  const begin = (...args: unknown[]) => {
    const body = args.pop() as (tx: Sql) => unknown;
    return (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args, async (tx: Sql) => {
      const session: Session = {
        since: closes,
        pid: null,
        server: null,
        lost: false,
        chain: Promise.resolve(),
      };
      // Which session this is, pipelined ahead of the callback's statements (no round trip).
      session.chain = tx<{ pid: number }[]>`select pg_backend_pid() as pid`.then(
        ([row]) => {
          session.pid = row?.pid ?? null;
        },
        (error: unknown) => {
          if (isConnectionError(error)) session.lost = true;
        },
      );
      return body(guardAll(tx, session, true));
    });
  };

  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'reserve') return reserve;
      if (property === 'begin') return begin;
      if (property === SAFE_SESSIONS) return true;
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Marks an Sql that withSafeSessions already guards (guarding twice would count twice). */
const SAFE_SESSIONS = Symbol('hostintel.safeSessions');
