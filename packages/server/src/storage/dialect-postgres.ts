/**
 * PostgreSQL through pg 8.
 *
 * Durability: every session runs with synchronous_commit=on, so COMMIT returns after the WAL flush.
 * BIGINT (ms times) comes back as a number through a per-pool type parser (pg's default is a string),
 * without touching pg's global parsers that other code may rely on.
 * The pool replaces a connection that died: a client whose query failed with a connection error is
 * released as broken, and idle clients that die are reported to `onBackgroundError`, never thrown.
 *
 * Deadlines: the server cancels a statement past `statement_timeout` (the connection stays
 * usable); a statement with no answer a little later (a frozen server or network) fails on the
 * client side (`query_timeout`) and its connection is dropped. TCP keepalive finds dead peers.
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';
import {
  type ColumnTypes,
  DB_KEEPALIVE_DELAY_MS,
  type Dialect,
  type KeyListMatcher,
  type PooledDialectOptions,
  PooledSession,
  runInTransaction,
  type SqlRow,
  type SqlSession,
  type SqlValue,
  type StatementFailure,
  storageTimeout,
} from './dialect.js';
import { toDriverValues } from './sql-values.js';

/** Options of the PostgreSQL dialect. */
export interface PostgresDialectOptions extends PooledDialectOptions {
  /** Schema holding the tables; created if missing. Null: the connection's default search_path. */
  schema: string | null;
  /** Lock key for migrations (a 32-bit integer): instances with the same key migrate one at a time. */
  schemaLockKey: number;
}

const POSTGRES_TYPES: ColumnTypes = {
  keyBytes: 'BYTEA',
  categoryBytes: 'BYTEA',
  blob: 'BYTEA',
  bigint: 'BIGINT',
  int: 'INTEGER',
  serial: 'BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY',
};

const INT8_OID = 20;
/** First key of Gregor's advisory locks ('greg'), so they do not collide with other applications'. */
const ADVISORY_LOCK_NAMESPACE = 0x67726567;
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** The first two SQLSTATE characters of connection failures, and single codes that end a session. */
const CONNECTION_SQLSTATE_CLASS = '08';
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
/** query_canceled: here, the server cut a statement at statement_timeout. */
const QUERY_CANCELED = '57014';
/** pg's messages for a statement with no answer within query_timeout, and for no free connection. */
const READ_TIMEOUT_MESSAGE = 'Query read timeout';
const ACQUIRE_TIMEOUT_MESSAGE = /timeout exceeded when trying to connect|connection timeout/i;
/**
 * How much longer than statement_timeout the client waits for an answer: a live server's own
 * cancel (which keeps the connection) comes first; only a silent one makes the client give up.
 */
const READ_TIMEOUT_GRACE_MS = 1_000;
/** Longest timer Node runs: "no client-side deadline" for a migration's statements. */
const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * Keys bound as two bytea[] parameters: the statement text (and its planning) stays the same
 * whatever the batch size; about three times faster than a 256-term OR on this machine.
 */
const UNNEST_KEY_MATCHER: KeyListMatcher = {
  maxKeys: 10_000,
  sql: () => '(uid, msgid) IN (SELECT * FROM unnest(?::bytea[], ?::bytea[]))',
  params: (keys) => [keys.map((k) => k.uid), keys.map((k) => k.msgID)],
};

const numbered = new Map<string, string>();

/** Rewrite `?` placeholders to `$1…$n` (the shared SQL never has `?` inside a literal). */
function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 2048) numbered.clear();
    numbered.set(sql, text);
  }
  return text;
}

class PostgresSession extends PooledSession<pg.QueryResult> {
  readonly #client: pg.PoolClient;
  readonly #dialect: PostgresDialect;
  /** The statement deadline (statement_timeout), or null for none (migrations). */
  readonly #timeoutMs: number | null;

  constructor(client: pg.PoolClient, dialect: PostgresDialect, timeoutMs: number | null) {
    super();
    this.#client = client;
    this.#dialect = dialect;
    this.#timeoutMs = timeoutMs;
  }

  protected send(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    return this.#client.query(this.#config(sql, params));
  }

  protected sendStreaming(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void> {
    const config = this.#config(sql, params);
    return new Promise((resolve, reject) => {
      const query = new pg.Query(config, (err) => (err ? reject(err) : resolve()));
      query.on('row', onRow);
      // Client.query reads query_timeout from the query object, which does not copy it over.
      this.#client.query(Object.assign(query, { query_timeout: config.query_timeout }));
    });
  }

  protected pauseReading(): void {
    this.#socket.pause();
  }

  protected resumeReading(): void {
    this.#socket.resume();
  }

  /** The connection's socket; a pooled client is a pg.Client. */
  get #socket(): Duplex {
    return (this.#client as unknown as pg.Client).connection.stream;
  }

  /** The statement's text and values, and its client-side deadline (query_timeout). */
  #config(sql: string, params: readonly SqlValue[]): pg.QueryConfig & { query_timeout: number } {
    // query_timeout per query is read by pg's Client.query but missing from its typings.
    return {
      text: numberPlaceholders(sql),
      values: toDriverValues(params),
      query_timeout:
        this.#timeoutMs === null ? MAX_TIMER_MS : this.#timeoutMs + READ_TIMEOUT_GRACE_MS,
    };
  }

  protected classify(err: unknown): StatementFailure {
    const isCancelled = (err as { code?: unknown } | null)?.code === QUERY_CANCELED;
    const isUnanswered = err instanceof Error && err.message === READ_TIMEOUT_MESSAGE;
    if (isCancelled || isUnanswered) {
      // The server's own cancel leaves the connection usable; a silent server does not.
      const error = storageTimeout('statement', this.#timeoutMs ?? 0, err);
      return { error, endsConnection: isUnanswered };
    }
    return { error: err, endsConnection: this.#dialect.isConnectionError(err) };
  }

  protected rowsOf(result: pg.QueryResult): SqlRow[] {
    return result.rows as SqlRow[];
  }

  protected changesOf(result: pg.QueryResult): number {
    return result.rowCount ?? 0;
  }
}

/** The PostgreSQL dialect; see the file header. */
export class PostgresDialect implements Dialect {
  readonly name = 'postgres';
  readonly types = POSTGRES_TYPES;
  readonly lockRowsSkipLocked = 'FOR UPDATE SKIP LOCKED';
  readonly createIndexIfNotExists = true;
  readonly matchKeys = UNNEST_KEY_MATCHER;
  readonly maxConnections: number;
  readonly #pool: pg.Pool;
  readonly #schema: string | null;
  readonly #schemaLockKey: number;
  readonly #queryTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #closed = false;

  constructor(opts: PostgresDialectOptions) {
    this.maxConnections = opts.poolSize;
    this.#schema = opts.schema;
    this.#schemaLockKey = opts.schemaLockKey;
    this.#queryTimeoutMs = opts.queryTimeoutMs;
    this.#connectTimeoutMs = opts.connectTimeoutMs;
    const settings = ['-c synchronous_commit=on'];
    if (opts.schema !== null) settings.push(`-c search_path=${opts.schema}`);
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      types: typeParsers,
      options: settings.join(' '),
      connectionTimeoutMillis: opts.connectTimeoutMs,
      statement_timeout: opts.queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: DB_KEEPALIVE_DELAY_MS,
      idleTimeoutMillis: 30_000,
      application_name: opts.applicationName,
    });
    // An idle client whose backend dies emits 'error' on the pool; unhandled, it would crash.
    this.#pool.on('error', opts.onBackgroundError);
  }

  async #withSession<T>(
    fn: (session: PostgresSession) => Promise<T>,
    timeoutMs: number | null = this.#queryTimeoutMs,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      if (err instanceof Error && ACQUIRE_TIMEOUT_MESSAGE.test(err.message)) {
        throw storageTimeout('connecting', this.#connectTimeoutMs, err);
      }
      throw err;
    }
    const session = new PostgresSession(client, this, timeoutMs);
    try {
      return await fn(session);
    } finally {
      // release(err) destroys the client, so the pool opens a fresh one next time.
      client.release(session.broken);
    }
  }

  transaction<T>(
    fn: (s: SqlSession) => Promise<T>,
    timeoutMs: number | null = this.#queryTimeoutMs,
  ): Promise<T> {
    return this.#withSession(
      (session) =>
        runInTransaction(
          (sql) => session.exec(sql),
          'BEGIN',
          () => fn(session),
        ),
      timeoutMs,
    );
  }

  read<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.#withSession(fn);
  }

  withSchemaLock<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.transaction(async (s) => {
      // A migration may wait for another instance's, and build indexes on big tables: no deadline.
      await s.run('SET LOCAL statement_timeout = 0');
      // Transaction-scoped advisory lock: released by COMMIT/ROLLBACK, even if the client dies.
      await s.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}, ?)`, [
        this.#schemaLockKey,
      ]);
      if (this.#schema !== null) await s.run(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      return fn(s);
    }, null);
  }

  isDuplicateIndexError(): boolean {
    return false;
  }

  isConnectionError(err: unknown): boolean {
    if (!(err instanceof Error)) return false;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code.startsWith(CONNECTION_SQLSTATE_CLASS) || CONNECTION_SQLSTATES.has(code)) return true;
      if (CONNECTION_ERRNOS.has(code)) return true;
    }
    // pg reports a socket that closed under a query without a code.
    return /Connection terminated|not queryable|connection error/i.test(err.message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
