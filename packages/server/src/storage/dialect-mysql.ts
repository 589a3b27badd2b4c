/**
 * MySQL / MariaDB through mysql2 3 (tested on MariaDB 10.11).
 *
 * Durability: InnoDB flushes its log at COMMIT as the server is configured
 * (innodb_flush_log_at_trx_commit=1 is the durable default; the engine does not change it).
 * Each session runs in strict mode, so an over-long value fails its statement instead of being
 * truncated with a warning, and at READ COMMITTED, so a retried statement sees rows that another
 * instance committed meanwhile (as PostgreSQL does). DDL commits implicitly here, so migrations
 * take a named lock (GET_LOCK) instead of relying on a transaction.
 *
 * Deadlines: every statement carries mysql2's `timeout`; past it the statement fails and its
 * connection is dropped (mysql2 leaves the connection waiting for the answer, so nothing else could
 * run on it). TCP keepalive finds dead peers.
 */
import type { Connection as CoreConnection, QueryOptions } from 'mysql2';
import mysql from 'mysql2/promise';
import {
  type ColumnTypes,
  DB_KEEPALIVE_DELAY_MS,
  type Dialect,
  type PooledDialectOptions,
  PooledSession,
  runInTransaction,
  type SqlRow,
  type SqlSession,
  type SqlValue,
  type StatementFailure,
  storageTimeout,
} from './dialect.js';
import { OR_KEY_MATCHER, toDriverValues } from './sql-values.js';

/** Options of the MySQL dialect. */
export interface MysqlDialectOptions extends PooledDialectOptions {
  /** Name of the migration lock; instances with the same name migrate one at a time. */
  schemaLockName: string;
  /** How long to wait for the migration lock, in seconds. */
  schemaLockTimeoutSeconds: number;
  /**
   * Whether CREATE INDEX may say IF NOT EXISTS (MariaDB) or not (MySQL 8). @default detected from
   * the server's VERSION() when the schema lock is taken
   */
  indexIfNotExists?: boolean;
}

/** MySQL's "Duplicate key name" (ER_DUP_KEYNAME): the index a CREATE INDEX names exists. */
const ER_DUP_KEYNAME = 1061;

const MYSQL_TYPES: ColumnTypes = {
  // IDs are 16 bytes in Keybase; 255 leaves room and keeps keys small.
  keyBytes: 'VARBINARY(255)',
  // Binary, so equality is byte-exact: no case-insensitive collation (categories compare as exact
  // strings).
  categoryBytes: 'VARBINARY(1024)',
  blob: 'LONGBLOB',
  bigint: 'BIGINT',
  int: 'INT',
  serial: 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY',
};

// Two statements: SET TRANSACTION cannot share a SET with variable assignments.
const SESSION_SETUP = [
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

const CONNECTION_ERROR_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

/** mysql2's code for a statement with no answer within its `timeout`. */
const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

type Connection = mysql.PoolConnection;
type QueryResult = Awaited<ReturnType<Connection['query']>>[0];

function isResultHeader(value: unknown): value is mysql.ResultSetHeader {
  return typeof value === 'object' && value !== null && 'affectedRows' in value;
}

class MysqlSession extends PooledSession<QueryResult> {
  readonly #conn: Connection;
  readonly #dialect: MysqlDialect;
  /** The statement deadline, or null for none (migrations). */
  readonly #timeoutMs: number | null;

  constructor(conn: Connection, dialect: MysqlDialect, timeoutMs: number | null) {
    super();
    this.#conn = conn;
    this.#dialect = dialect;
    this.#timeoutMs = timeoutMs;
  }

  protected async send(sql: string, params: readonly SqlValue[]): Promise<QueryResult> {
    // query(), not execute(): the multi-row statements vary in text, and server-side prepared
    // statements would pile up one per shape.
    const [result] = await this.#conn.query(this.#options(sql, params));
    return result;
  }

  /** The statement's text and values, and its deadline. */
  #options(sql: string, params: readonly SqlValue[]): QueryOptions {
    return {
      sql,
      values: toDriverValues(params),
      ...(this.#timeoutMs === null ? {} : { timeout: this.#timeoutMs }),
    };
  }

  protected sendStreaming(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#core
        .query(this.#options(sql, params))
        .on('result', (row) => onRow(row as SqlRow))
        .on('error', reject)
        .on('end', resolve);
    });
  }

  protected pauseReading(): void {
    this.#core.pause();
  }

  protected resumeReading(): void {
    this.#core.resume();
  }

  /** The callback connection inside the promise wrapper: its queries emit each row. */
  get #core(): CoreConnection {
    return this.#conn.connection as unknown as CoreConnection;
  }

  protected classify(err: unknown): StatementFailure {
    if ((err as { code?: unknown } | null)?.code === QUERY_TIMEOUT_CODE) {
      return {
        error: storageTimeout('statement', this.#timeoutMs ?? 0, err),
        endsConnection: true,
      };
    }
    return { error: err, endsConnection: this.#dialect.isConnectionError(err) };
  }

  protected rowsOf(result: QueryResult): SqlRow[] {
    return Array.isArray(result) ? (result as SqlRow[]) : [];
  }

  protected changesOf(result: QueryResult): number {
    return isResultHeader(result) ? result.affectedRows : 0;
  }
}

/** The MySQL/MariaDB dialect; see the file header. */
export class MysqlDialect implements Dialect {
  readonly name = 'mysql';
  readonly types = MYSQL_TYPES;
  // MariaDB ≥ 10.6 and MySQL ≥ 8.0 know SKIP LOCKED.
  readonly lockRowsSkipLocked = 'FOR UPDATE SKIP LOCKED';
  readonly matchKeys = OR_KEY_MATCHER;
  readonly maxConnections: number;
  readonly #pool: mysql.Pool;
  readonly #lockName: string;
  readonly #lockTimeoutSeconds: number;
  readonly #queryTimeoutMs: number;
  #closed = false;
  #indexIfNotExists: boolean | undefined;

  constructor(opts: MysqlDialectOptions) {
    this.#indexIfNotExists = opts.indexIfNotExists;
    this.maxConnections = opts.poolSize;
    this.#lockName = opts.schemaLockName;
    this.#lockTimeoutSeconds = opts.schemaLockTimeoutSeconds;
    this.#queryTimeoutMs = opts.queryTimeoutMs;
    this.#pool = mysql.createPool({
      uri: opts.url,
      connectionLimit: opts.poolSize,
      maxIdle: opts.poolSize,
      idleTimeout: 30_000,
      connectTimeout: opts.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4',
      enableKeepAlive: true,
      keepAliveInitialDelay: DB_KEEPALIVE_DELAY_MS,
      connectAttributes: { program_name: opts.applicationName },
    });
    // A new connection runs its setup before any query a caller queues on it (mysql2 runs a
    // connection's commands in order). The extra 'error' listener keeps a second fatal error on
    // an idle connection from being an unhandled 'error' event.
    this.#pool.pool.on('connection', (conn) => {
      conn.on('error', opts.onBackgroundError);
      for (const statement of SESSION_SETUP) {
        conn.query({ sql: statement, timeout: opts.queryTimeoutMs }, (err: unknown) => {
          if (!err) return;
          opts.onBackgroundError(err);
          // A setup statement that never answered blocks every command queued behind it.
          if ((err as { code?: unknown }).code === QUERY_TIMEOUT_CODE) conn.destroy();
        });
      }
    });
  }

  async #withSession<T>(
    fn: (session: MysqlSession) => Promise<T>,
    timeoutMs: number | null = this.#queryTimeoutMs,
  ): Promise<T> {
    const conn = await this.#pool.getConnection();
    const session = new MysqlSession(conn, this, timeoutMs);
    try {
      return await fn(session);
    } finally {
      if (session.broken !== undefined) conn.destroy();
      else conn.release();
    }
  }

  transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.#withSession((session) =>
      runInTransaction(
        (sql) => session.exec(sql),
        'START TRANSACTION',
        () => fn(session),
      ),
    );
  }

  read<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.#withSession(fn);
  }

  /** MariaDB's spelling; MySQL 8 lacks IF NOT EXISTS on CREATE INDEX (known once the schema lock was taken). */
  get createIndexIfNotExists(): boolean {
    return this.#indexIfNotExists ?? true;
  }

  withSchemaLock<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    // A migration may wait for another instance's, and alter big tables: no statement deadline.
    return this.#withSession(async (session) => {
      if (this.#indexIfNotExists === undefined) {
        const [version] = await session.query('SELECT VERSION() AS v');
        this.#indexIfNotExists = /mariadb/i.test(String(version?.v ?? ''));
      }
      const [row] = await session.query('SELECT GET_LOCK(?, ?) AS got', [
        this.#lockName,
        this.#lockTimeoutSeconds,
      ]);
      if (Number(row?.got) !== 1) throw new Error(`could not take lock ${this.#lockName}`);
      try {
        return await fn(session);
      } finally {
        await session.query('SELECT RELEASE_LOCK(?)', [this.#lockName]).catch(() => undefined);
      }
    }, null);
  }

  isDuplicateIndexError(err: unknown): boolean {
    return (err as { errno?: unknown } | null)?.errno === ER_DUP_KEYNAME;
  }

  isConnectionError(err: unknown): boolean {
    if (!(err instanceof Error)) return false;
    const e = err as { code?: unknown; fatal?: unknown };
    return e.fatal === true || (typeof e.code === 'string' && CONNECTION_ERROR_CODES.has(e.code));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
