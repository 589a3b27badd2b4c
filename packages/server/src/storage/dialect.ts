/**
 * The seam between the one `SqlEngine` and a database (one engine, three dialects). A Dialect owns
 * the connections (pool, reconnects), transactions, the cross-instance schema lock and the few
 * spellings that differ between SQLite, PostgreSQL and MySQL/MariaDB. Schema shape, queries and
 * every semantic rule are shared and live elsewhere.
 */
import { type GregorError, gregorError } from 'gregor-client/errors';
import type { ConsumeJob, PlanAnswer } from './consume-plan.js';
import type { TableNames } from './schema.js';
import { TimeSlices } from './time-slices.js';

/** The databases the engine speaks to. */
export const DIALECT_NAME = { sqlite: 'sqlite', postgres: 'postgres', mysql: 'mysql' } as const;
export type DialectName = (typeof DIALECT_NAME)[keyof typeof DIALECT_NAME];

/**
 * A value bound to a `?` placeholder. Byte strings are Uint8Array; times are ms numbers; a list of
 * byte strings binds as an array (PostgreSQL's bytea[], see `KeyListMatcher`).
 */
export type SqlValue = string | number | Uint8Array | null | readonly Uint8Array[];

/** The (uid, msgid) key of an item or a logged message. */
export interface RowKeyLike {
  readonly uid: Uint8Array;
  readonly msgID: Uint8Array;
}

/**
 * How a dialect matches rows whose (uid, msgid) is one of a list of keys, in a WHERE clause.
 * Every planner turns it into one index probe per key.
 */
export interface KeyListMatcher {
  /** Most keys one statement may match. */
  readonly maxKeys: number;
  /** The condition for `count` keys, on unqualified columns uid and msgid. */
  sql(count: number): string;
  /** The parameters of that condition. */
  params(keys: readonly RowKeyLike[]): SqlValue[];
}

/** One result row as the driver returns it; `row-codec.ts` reads columns back into typed values. */
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * One database session: a pooled connection checked out, or SQLite's connection. Statements are
 * written with `?` placeholders in every dialect; the dialect rewrites them where it must.
 */
export interface SqlSession {
  /** Run a statement and resolve with its rows (empty for statements that return none). */
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Run a statement and resolve with the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Hand each row of a query to `onRow` as the driver reads it, so that the work on the rows is
   * spread over the read instead of done in one block at its end (SQLite: in slices of time that
   * yield to the event loop, all from one statement and so one snapshot; PostgreSQL, MySQL: as
   * each packet of rows arrives). When `onRow` throws, it sees no further row and the error
   * rejects. Absent: see `forEachRow`.
   */
  streamRows?(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void>;
}

/**
 * Hand each row of a query to `onRow`: streamed where the session can (`streamRows`), otherwise
 * from the whole result (the SQLite writer thread's session, which serves no reads).
 */
export async function forEachRow(
  s: SqlSession,
  sql: string,
  params: readonly SqlValue[],
  onRow: (row: SqlRow) => void,
): Promise<void> {
  if (s.streamRows !== undefined) return s.streamRows(sql, params, onRow);
  for (const row of await s.query(sql, params)) onRow(row);
}

/** Column types of the shared schema, spelled for one dialect. */
export interface ColumnTypes {
  /** A short byte string that is part of a key: uid, msgID, deviceID. */
  readonly keyBytes: string;
  /** An indexed byte string compared byte for byte: the category as UTF-8. */
  readonly categoryBytes: string;
  /** An unbounded byte string: item bodies, logged messages. */
  readonly blob: string;
  /** A 64-bit integer: ms times. */
  readonly bigint: string;
  /** A small integer: flags and seqnos. */
  readonly int: string;
  /**
   * Column definition of an ascending, database-assigned 64-bit number (arrival order). SQLite
   * and MySQL need it to be the primary key; PostgreSQL leaves it unindexed, so no plan can walk
   * it backwards through other users' rows.
   */
  readonly serial: string;
}

/** Options every pooled (client/server) dialect takes. */
export interface PooledDialectOptions {
  /** The connection URL. */
  url: string;
  /** Most connections open at once. */
  poolSize: number;
  /** How long to wait for a connection, in ms. */
  connectTimeoutMs: number;
  /** How long one statement may run before its connection is given up, in ms. */
  queryTimeoutMs: number;
  /** The name the connections show the server. */
  applicationName: string;
  /** Receives errors of idle connections, which have no caller to reject. */
  onBackgroundError: (err: unknown) => void;
}

/** How a dialect runs its part; every method maps driver failures to thrown errors, never crashes. */
export interface Dialect {
  readonly name: DialectName;
  readonly types: ColumnTypes;
  /**
   * Suffix of a SELECT that locks the rows it returns and skips rows other transactions hold
   * (PostgreSQL, MariaDB), or '' where a write transaction already excludes every other writer
   * (SQLite's BEGIN IMMEDIATE).
   */
  readonly lockRowsSkipLocked: string;
  /**
   * True when a `CREATE INDEX` may carry `IF NOT EXISTS`; MySQL's DDL is not transactional, so a
   * half-applied migration must be re-runnable statement by statement.
   */
  readonly createIndexIfNotExists: boolean;
  /** How this dialect matches a list of (uid, msgid) keys. */
  readonly matchKeys: KeyListMatcher;
  /** How many connections the pool may hold: each may have died while idle. */
  readonly maxConnections: number;
  /** Run `fn` in one write transaction: committed (durably) when it resolves, rolled back when it rejects. */
  transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /** Run `fn` on a session outside any write transaction, seeing only committed data. */
  read<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Run `fn` holding a lock that two instances starting at once on the same database both take,
   * so migrations run once (pg advisory lock, MySQL GET_LOCK, SQLite's write transaction).
   */
  withSchemaLock<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /** True when `err` means the connection was lost, so the same work may be retried on a fresh one. */
  isConnectionError(err: unknown): boolean;
  /**
   * True when `err` says an index already exists. Only a dialect without `createIndexIfNotExists`
   * (MySQL 8) produces it: a migration step re-run after a crash finds its indexes in place.
   */
  isDuplicateIndexError(err: unknown): boolean;
  /**
   * Apply a batch of consumes durably somewhere else than this thread (SQLite's writer thread),
   * with the same outcomes as `commitConsumes` (consume-commit.ts); absent where the engine
   * commits batches itself, on its sessions.
   */
  readonly commitConsumes?:
    | ((tables: TableNames, jobs: ConsumeJob[]) => Promise<PlanAnswer[]>)
    | undefined;
  /** Close every connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Run `fn` between `begin` and COMMIT on one connection, rolling back when it rejects (a failed
 * ROLLBACK is ignored: the connection is then broken and its pool replaces it).
 */
export async function runInTransaction<T>(
  exec: (sql: string) => Promise<unknown>,
  begin: string,
  fn: () => Promise<T>,
): Promise<T> {
  await exec(begin);
  try {
    const result = await fn();
    await exec('COMMIT');
    return result;
  } catch (err) {
    await Promise.resolve()
      .then(() => exec('ROLLBACK'))
      .catch(() => undefined);
    throw err;
  }
}

/**
 * Run `fn`, trying again on a fresh connection while the failure is a lost connection. Every idle
 * pooled connection may have been killed at once (a database restart, pg_terminate_backend), and
 * each failed attempt discards one, so up to `maxConnections + 1` attempts are made. Safe for
 * reads, and for consumes because they are idempotent (a logged msgID is not applied twice).
 */
export async function retryOnConnectionLoss<T>(d: Dialect, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!d.isConnectionError(err) || attempt > d.maxConnections) throw err;
    }
  }
}

/**
 * Idle time before the first TCP keepalive probe on a database connection, ms: a database host
 * that vanished (power loss, a partition) is noticed in about a minute, not after the OS's 2 h.
 */
export const DB_KEEPALIVE_DELAY_MS = 30_000;

/** The error of a statement or a connection wait that ran out of time. */
export function storageTimeout(what: string, timeoutMs: number, cause: unknown): GregorError {
  return gregorError('GREGOR_ERR_TIMEOUT', `storage: ${what} took over ${timeoutMs} ms`, { cause });
}

/** How a driver failure of one statement is seen: the error to throw, and whether it ends the connection. */
export interface StatementFailure {
  readonly error: unknown;
  /** The connection is lost or stuck (a statement still runs on it): drop it, send nothing more. */
  readonly endsConnection: boolean;
}

/**
 * The statements of one checked-out pooled connection. Once a statement timed out or the
 * connection was lost, nothing more is sent on it (a ROLLBACK would only queue behind the stuck
 * statement) and `broken` tells the pool to drop the connection instead of reusing it.
 */
export abstract class PooledSession<R> implements SqlSession {
  #broken: Error | undefined;

  /** Why the connection must not be reused, or undefined. */
  get broken(): Error | undefined {
    return this.#broken;
  }

  /** Run a statement on the driver. */
  protected abstract send(sql: string, params: readonly SqlValue[]): Promise<R>;
  /**
   * Run a query on the driver, handing each row to `onRow` as it is parsed; resolves when the
   * statement ends. `onRow` never throws.
   */
  protected abstract sendStreaming(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void>;
  /** Stop reading from the connection's socket (while a streamed query lets the event loop run). */
  protected abstract pauseReading(): void;
  /** Read from the socket again; see `pauseReading`. */
  protected abstract resumeReading(): void;
  /** Classify a failure of `send` or `sendStreaming`. */
  protected abstract classify(err: unknown): StatementFailure;
  protected abstract rowsOf(result: R): SqlRow[];
  protected abstract changesOf(result: R): number;

  async query(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.rowsOf(await this.exec(sql, params));
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.changesOf(await this.exec(sql, params));
  }

  /** Run a statement, unless the connection already broke. */
  exec(sql: string, params: readonly SqlValue[] = []): Promise<R> {
    return this.#guarded(() => this.send(sql, params));
  }

  async streamRows(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void> {
    let failure: { error: unknown } | undefined;
    const slices = new TimeSlices();
    let resuming: Promise<void> | undefined;
    try {
      await this.#guarded(() =>
        this.sendStreaming(sql, params, (row) => {
          // After `onRow` threw, the driver still reads the statement to its end (the
          // connection stays usable); the rows are passed over.
          if (failure === undefined) {
            try {
              onRow(row);
            } catch (error) {
              failure = { error };
            }
          }
          // Once a slice is used, the event loop runs before the driver reads on: unpaused, it
          // reads up to 32 socket buffers (thousands of rows) in one go.
          if (resuming === undefined && slices.due) {
            this.pauseReading();
            resuming = slices.next().then(() => {
              resuming = undefined;
              this.resumeReading();
            });
          }
        }),
      );
    } finally {
      // The connection goes back to its pool reading again.
      await resuming;
    }
    if (failure !== undefined) throw failure.error;
  }

  /** Run `send` on the driver, unless the connection already broke; see `broken`. */
  async #guarded<T>(send: () => Promise<T>): Promise<T> {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      return await send();
    } catch (err) {
      const failure = this.classify(err);
      if (failure.endsConnection) {
        this.#broken = failure.error instanceof Error ? failure.error : new Error(String(err));
      }
      throw failure.error;
    }
  }
}
