/**
 * Options of `openSqlEngine`, validated once at the edge: one zod schema turns them
 * into a fully defaulted, frozen object. A bad value is rejected naming the option, never clamped,
 * and the caller's object is never changed.
 */

import { parseOptions } from 'gregor-client/errors';
import { type Clock, systemClock } from 'gregor-client/state';
import { z } from 'zod';

/** The SQL engine's reminder lock (10 minutes, as Keybase's SQL engine), ms. */
export const DEFAULT_REMINDER_LOCK_DURATION_MS = 10 * 60 * 1000;
/** Table names start with this unless told otherwise (Keybase's SQL engine uses `gregor_`). */
export const DEFAULT_TABLE_PREFIX = 'gregor_';
/** Connections per engine for PostgreSQL and MySQL: one writer plus concurrent readers. */
export const DEFAULT_POOL_SIZE = 8;
/** Most consumes in one group-commit transaction. */
export const DEFAULT_MAX_BATCH_MESSAGES = 256;
/** Most consumes waiting for a commit before new ones are refused (GREGOR_ERR_OVERLOADED). */
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000;
/** How long a SQLite writer waits for another process's write lock, ms. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** How long to wait for a database connection (and MySQL's migration lock), ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long one storage operation (a read, or a transaction) may take, ms. Below the server's
 * 30 s storage timeout, so a frozen database fails a call with a timeout the caller still hears.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/** Options of `openSqlEngine`. */
export interface SqlEngineOptions {
  /** The source of "now" for every rule. @default systemClock */
  clock?: Clock;
  /** How long a handed-out reminder stays locked, ms. @default 600000 */
  reminderLockDurationMs?: number;
  /** Prefix of every table name, so several engines can share a database. @default 'gregor_' */
  tablePrefix?: string;
  /** PostgreSQL only: the schema holding the tables, created if missing. @default the search_path */
  schema?: string;
  /** PostgreSQL/MySQL: most connections open at once. @default 8 */
  poolSize?: number;
  /** Most consumes committed in one transaction (group commit). @default 256 */
  maxBatchMessages?: number;
  /** Most consumes waiting for a commit; past it they are refused. @default 10000 */
  maxQueuedMessages?: number;
  /** SQLite: how long a writer waits for another process's write lock, ms. @default 5000 */
  busyTimeoutMs?: number;
  /** PostgreSQL/MySQL: how long to wait for a connection, ms. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * How long one operation may take, ms: each statement on PostgreSQL/MySQL (past it the
   * connection is dropped, so a frozen database frees the pool) and each read or transaction as a
   * whole (past it the caller gets GREGOR_ERR_TIMEOUT). SQLite statements run synchronously and
   * cannot be cut; there it bounds the wait for the in-process write lock, and the busy timeout
   * is at most this. @default 10000
   */
  queryTimeoutMs?: number;
  /**
   * PostgreSQL/MySQL: the name the connections show the server (pg_stat_activity.application_name,
   * MySQL's program_name attribute), to tell instances apart. @default 'gregor'
   */
  applicationName?: string;
  /** Receives driver errors that have no caller to reject (an idle connection dying). @default ignore */
  onBackgroundError?: (err: unknown) => void;
}

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase SQL identifier');

const schema = z
  .object({
    clock: z
      .custom<Clock>(
        (v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function',
        'must be a Clock',
      )
      .default(systemClock),
    reminderLockDurationMs: z.number().int().min(0).default(DEFAULT_REMINDER_LOCK_DURATION_MS),
    tablePrefix: identifier.max(40).default(DEFAULT_TABLE_PREFIX),
    schema: identifier.max(63).optional(),
    poolSize: z.number().int().min(2).max(1000).default(DEFAULT_POOL_SIZE),
    maxBatchMessages: z.number().int().min(1).max(10_000).default(DEFAULT_MAX_BATCH_MESSAGES),
    maxQueuedMessages: z.number().int().min(1).default(DEFAULT_MAX_QUEUED_MESSAGES),
    busyTimeoutMs: z.number().int().min(0).default(DEFAULT_BUSY_TIMEOUT_MS),
    connectTimeoutMs: z.number().int().min(1).default(DEFAULT_CONNECT_TIMEOUT_MS),
    queryTimeoutMs: z.number().int().min(1).max(0x7fff_ffff).default(DEFAULT_QUERY_TIMEOUT_MS),
    applicationName: z
      .string()
      .regex(/^[\w.:-]{1,63}$/, 'must be 1–63 letters, digits or . _ : -')
      .default('gregor'),
    onBackgroundError: z
      .custom<(err: unknown) => void>((v) => typeof v === 'function', 'must be a function')
      .default(() => () => {}),
  })
  .strict();

/** The options after validation: every default filled in. */
export type ResolvedSqlEngineOptions = Readonly<z.output<typeof schema>>;

/** Validate `opts`; throws GREGOR_ERR_CONFIG_INVALID naming the first bad option. */
export function resolveSqlEngineOptions(opts: SqlEngineOptions = {}): ResolvedSqlEngineOptions {
  return Object.freeze(parseOptions('invalid sql engine option', schema, opts));
}
