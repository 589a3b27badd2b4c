/**
 * SQLite through better-sqlite3 (synchronous, in-process).
 *
 * Durability: WAL with synchronous=FULL, so COMMIT returns only once the WAL is fsynced.
 * Connections per file: the writer runs every write transaction (BEGIN IMMEDIATE, so writers in
 * other processes wait on busy_timeout), in a worker thread of its own (sqlite-writer-thread.ts),
 * so that no fsync and no lock wait ever stops the event loop; a few readers on the main thread
 * serve reads, one read each at a time, and see only committed data. Large reads are streamed in
 * slices of time that yield to the event loop (time-slices.ts).
 * Writers in this process take a mutex shared per file (see async-mutex.ts for why).
 * `:memory:` has one connection, so reads take the mutex too and never see a batch half-applied.
 *
 * File modes: a new database file is created 0600 whatever the umask (it holds every user's
 * items), its new directory 0700; SQLite gives the -wal and -shm files the database file's mode.
 */
import { closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { AsyncMutex, sharedMutex } from './async-mutex.js';
import {
  type ColumnTypes,
  type Dialect,
  runInTransaction,
  type SqlRow,
  type SqlSession,
  type SqlValue,
} from './dialect.js';
import { ExclusivePool } from './exclusive-pool.js';
import { OR_KEY_MATCHER, toDriverValues } from './sql-values.js';
import { SqliteWriterThread } from './sqlite-writer-thread.js';
import { TimeSlices } from './time-slices.js';

/** Options of the SQLite dialect. */
export interface SqliteDialectOptions {
  /** A file path, or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's write lock, in ms. */
  busyTimeoutMs: number;
}

const SQLITE_TYPES: ColumnTypes = {
  keyBytes: 'BLOB',
  categoryBytes: 'BLOB',
  blob: 'BLOB',
  bigint: 'INTEGER',
  int: 'INTEGER',
  serial: 'INTEGER PRIMARY KEY',
};

/** Create `path` empty with mode 0600 (umask-independent) unless it exists. */
function createPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** Prepared statements are cached per connection; the cap bounds the varying multi-row texts. */
const MAX_CACHED_STATEMENTS = 512;
/**
 * Reader connections of a file: reads of different users run side by side (each yields between
 * slices), and one slow read does not queue every other read behind it.
 */
const READER_CONNECTIONS = 4;

class SqliteSession implements SqlSession {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#cache.size >= MAX_CACHED_STATEMENTS) this.#cache.clear();
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const statement = this.#prepare(sql);
    if (statement.reader) return statement.all(...toDriverValues(params)) as SqlRow[];
    statement.run(...toDriverValues(params));
    return [];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#prepare(sql).run(...toDriverValues(params)).changes;
  }

  async streamRows(
    sql: string,
    params: readonly SqlValue[],
    onRow: (row: SqlRow) => void,
  ): Promise<void> {
    // One statement is one read transaction: every slice comes from the same snapshot. The
    // statement is reset when the loop ends, even by a throw.
    const slices = new TimeSlices();
    for (const row of this.#prepare(sql).iterate(...toDriverValues(params))) {
      onRow(row as SqlRow);
      if (slices.due) await slices.next();
    }
  }
}

/** How write transactions reach the writer connection: in-process, or in its worker thread. */
interface Writer {
  readonly session: SqlSession;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** The writer of `:memory:`, which only this connection can see: on the main thread. */
function inProcessWriter(db: Database.Database): Writer {
  return {
    session: new SqliteSession(db),
    async exec(sql) {
      // After some errors SQLite has already rolled back; a second ROLLBACK would throw.
      if (sql !== 'ROLLBACK' || db.inTransaction) db.exec(sql);
    },
    async close() {
      db.close();
    },
  };
}

/** The SQLite dialect; see the file header. */
export class SqliteDialect implements Dialect {
  readonly name = 'sqlite';
  readonly types = SQLITE_TYPES;
  readonly lockRowsSkipLocked = '';
  readonly createIndexIfNotExists = true;
  readonly matchKeys = OR_KEY_MATCHER;
  readonly maxConnections = 1;
  readonly #writer: Writer;
  readonly #readers: readonly Database.Database[];
  readonly #readerSessions: ExclusivePool<SqlSession>;
  readonly #mutex: AsyncMutex;
  readonly #releaseMutex: () => void;
  readonly #memory: SqlSession | undefined;
  #closed = false;

  private constructor(
    writer: Writer,
    readers: readonly Database.Database[],
    shared: { mutex: AsyncMutex; release: () => void },
    memory: SqlSession | undefined,
  ) {
    this.#writer = writer;
    this.#readers = readers;
    this.#mutex = shared.mutex;
    this.#releaseMutex = shared.release;
    this.#memory = memory;
    this.#readerSessions = new ExclusivePool<SqlSession>(
      readers.map((db) => new SqliteSession(db)),
    );
  }

  /** Open `opts.path` (created 0600 when new), or a `:memory:` database. */
  static async open(opts: SqliteDialectOptions): Promise<SqliteDialect> {
    if (opts.path === ':memory:') return SqliteDialect.onConnection(new Database(':memory:'));
    const path = resolve(opts.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    createPrivateFile(path);
    // The writer sets WAL before the readers open, so they find the file in WAL mode.
    const writer = await SqliteWriterThread.start({ path, busyTimeoutMs: opts.busyTimeoutMs });
    const readers = Array.from({ length: READER_CONNECTIONS }, () => {
      const reader = new Database(path);
      reader.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
      reader.pragma('query_only = ON');
      return reader;
    });
    return new SqliteDialect(writer, readers, sharedMutex(path), undefined);
  }

  /**
   * A dialect on the one connection `db`, used on the thread that calls it: `:memory:` (which
   * only its own connection can see), and the writer thread's connection. Reads take the write
   * mutex, so they never see a batch half-applied.
   */
  static onConnection(db: Database.Database): SqliteDialect {
    const writer = inProcessWriter(db);
    return new SqliteDialect(
      writer,
      [],
      { mutex: new AsyncMutex(), release: () => {} },
      writer.session,
    );
  }

  /** The session of the write connection (for the writer thread's single statements). */
  get writerSession(): SqlSession {
    return this.#writer.session;
  }

  /** Run `sql` without parameters on the write connection (BEGIN, COMMIT, ROLLBACK). */
  exec(sql: string): Promise<void> {
    return this.#writer.exec(sql);
  }

  /**
   * Commit a batch of consumes in the writer thread, in one message (see
   * sqlite-writer-thread.ts); absent on a connection used in place, where the engine commits the
   * batch itself.
   */
  get commitConsumes(): Dialect['commitConsumes'] {
    const writer = this.#writer;
    if (!(writer instanceof SqliteWriterThread)) return undefined;
    return (tables, jobs) => this.#mutex.run(() => writer.commitConsumes(tables, jobs));
  }

  transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const writer = this.#writer;
    return this.#mutex.run(() =>
      runInTransaction(
        (sql) => writer.exec(sql),
        'BEGIN IMMEDIATE',
        () => fn(writer.session),
      ),
    );
  }

  read<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const memory = this.#memory;
    if (memory !== undefined) return this.#mutex.run(() => fn(memory));
    return this.#readerSessions.run(fn);
  }

  withSchemaLock<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    // SQLite DDL is transactional and BEGIN IMMEDIATE excludes every other writer of the file.
    return this.transaction(fn);
  }

  isDuplicateIndexError(): boolean {
    return false;
  }

  isConnectionError(): boolean {
    return false;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Reads in flight finish first: a connection closed under an open iterator would throw.
    await this.#readerSessions.drain(() => {
      for (const reader of this.#readers) reader.close();
    });
    await this.#mutex.run(() => this.#writer.close());
    this.#releaseMutex();
  }
}
