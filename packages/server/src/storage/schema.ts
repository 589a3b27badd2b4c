/**
 * The SQL schema, as numbered migrations (unlike Keybase's SQL engine, nothing is ever dropped:
 * each migration only creates what is missing).
 *
 * Layout, and the index each query uses (no query scans other users' rows, and State does not scan
 * a user's dismissed history):
 * - `items`: one row per created item, with Mem's `dismissedImmediate` as `dismissed` and the
 *   resolved expiry as `expire_at` (NEVER_MS when none). State reads `items_visible`
 *   (uid, dismissed, expire_at): its range `dismissed = 0 AND expire_at > T` holds exactly the
 *   items not dismissed at T. Range dismissals read `items_category` (uid, dismissed, category, ctime).
 * - `messages`: the log (pruned only by retention) with its arrival `seq` and the logged message's canonical
 *   msgpack, so since returns exactly what was logged. A creation's row also carries its item's
 *   dtime and dismissed flag, so since needs no join (a join let planners hash all of a user's
 *   items). Since reads `messages_since` (uid, ctime, seq), which is also its order; LatestCTime
 *   reads `messages_latest` (uid, has_item, seq).
 * - `reminders`: per (uid, msgid, seqno), with the time it was last handed out and its item's
 *   expiry; a dismissal deletes its item's reminders, so due reminders are found in this table
 *   alone, through `reminders_due` (rtime), and only the ones handed out are joined to items.
 * - `locks`: a few named leases shared by the instances of one database (retention's sweep, in
 *   retention-lock.ts), each with its holder, its expiry and where its work stands.
 * Retention (retention-queries.ts) deletes log rows, with their items and reminders, past a
 * horizon; without it nothing is ever deleted.
 * Times are ms as 64-bit integers (no µs rounding), IDs and categories are bytes compared exactly.
 */
import type { Dialect } from './dialect.js';

/** Longest uid, msgID or deviceID the schema stores, in bytes (Keybase uses 16). */
export const MAX_ID_BYTES = 255;
/** Longest category the schema stores, in bytes of UTF-8. */
export const MAX_CATEGORY_BYTES = 1024;
/** `expire_at` of an item that never expires: later than any time the engine compares with. */
export const NEVER_MS = Number.MAX_SAFE_INTEGER;

/** The table names under one prefix. */
export interface TableNames {
  readonly prefix: string;
  readonly items: string;
  readonly messages: string;
  readonly reminders: string;
  readonly locks: string;
  readonly schemaVersion: string;
}

/** Table names for `prefix` (already validated as an identifier). */
export function tableNames(prefix: string): TableNames {
  return {
    prefix,
    items: `${prefix}items`,
    messages: `${prefix}messages`,
    reminders: `${prefix}reminders`,
    locks: `${prefix}locks`,
    schemaVersion: `${prefix}schema_version`,
  };
}

/** One schema change; `statements` must be safe to run again after a partial failure. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  statements(t: TableNames, d: Dialect): string[];
}

function idCheck(column: string, nullable: boolean): string {
  const range = `length(${column}) BETWEEN 1 AND ${MAX_ID_BYTES}`;
  return nullable ? `CHECK (${column} IS NULL OR ${range})` : `CHECK (${range})`;
}

function createIndex(d: Dialect, t: TableNames, name: string, table: string, cols: string): string {
  const ifNotExists = d.createIndexIfNotExists ? 'IF NOT EXISTS ' : '';
  return `CREATE INDEX ${ifNotExists}${t.prefix}${name} ON ${table} (${cols})`;
}

/** Every migration, in order. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'items and the message log',
    statements: (t, d) => [
      `CREATE TABLE IF NOT EXISTS ${t.items} (
        uid ${d.types.keyBytes} NOT NULL,
        msgid ${d.types.keyBytes} NOT NULL,
        ctime ${d.types.bigint} NOT NULL,
        devid ${d.types.keyBytes} NULL,
        category ${d.types.categoryBytes} NOT NULL,
        body ${d.types.blob} NULL,
        dtime ${d.types.bigint} NOT NULL,
        dtime_offset ${d.types.bigint} NOT NULL,
        expire_at ${d.types.bigint} NOT NULL,
        dismissed ${d.types.int} NOT NULL,
        PRIMARY KEY (uid, msgid),
        ${idCheck('uid', false)},
        ${idCheck('msgid', false)},
        ${idCheck('devid', true)},
        CHECK (length(category) <= ${MAX_CATEGORY_BYTES})
      )`,
      createIndex(d, t, 'items_visible', t.items, 'uid, dismissed, expire_at'),
      createIndex(d, t, 'items_category', t.items, 'uid, dismissed, category, ctime'),
      `CREATE TABLE IF NOT EXISTS ${t.messages} (
        seq ${d.types.serial},
        uid ${d.types.keyBytes} NOT NULL,
        msgid ${d.types.keyBytes} NOT NULL,
        ctime ${d.types.bigint} NOT NULL,
        devid ${d.types.keyBytes} NULL,
        has_item ${d.types.int} NOT NULL,
        item_dtime ${d.types.bigint} NOT NULL,
        item_dtime_offset ${d.types.bigint} NOT NULL,
        item_dismissed ${d.types.int} NOT NULL,
        body ${d.types.blob} NOT NULL,
        UNIQUE (uid, msgid),
        ${idCheck('uid', false)},
        ${idCheck('msgid', false)},
        ${idCheck('devid', true)}
      )`,
      createIndex(d, t, 'messages_since', t.messages, 'uid, ctime, seq'),
      createIndex(d, t, 'messages_latest', t.messages, 'uid, has_item, seq'),
    ],
  },
  {
    version: 2,
    description: 'reminders',
    statements: (t, d) => [
      `CREATE TABLE IF NOT EXISTS ${t.reminders} (
        uid ${d.types.keyBytes} NOT NULL,
        msgid ${d.types.keyBytes} NOT NULL,
        seqno ${d.types.int} NOT NULL,
        rtime ${d.types.bigint} NOT NULL,
        lock_time ${d.types.bigint} NULL,
        expire_at ${d.types.bigint} NOT NULL,
        PRIMARY KEY (uid, msgid, seqno)
      )`,
      createIndex(d, t, 'reminders_due', t.reminders, 'rtime'),
    ],
  },
  {
    version: 3,
    description: 'leases shared by instances (retention)',
    statements: (t, d) => [
      `CREATE TABLE IF NOT EXISTS ${t.locks} (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        owner VARCHAR(64) NULL,
        expires_at ${d.types.bigint} NOT NULL,
        cursor_uid ${d.types.keyBytes} NULL,
        last_done_at ${d.types.bigint} NULL
      )`,
    ],
  },
];

/** The version a database has once every migration has run. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
