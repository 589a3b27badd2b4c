/**
 * The schema's distribution rule (docs/scale-out.md, "On a uid-sharded database"), in one place:
 * every table holding users' rows is keyed by uid first, so a uid-sharded engine (Citus, Vitess,
 * YugabyteDB) can keep each user's rows on one shard and route each of the user's statements to
 * it. A test reads the real schema from each database's catalog and fails on any primary key,
 * unique key or index of a user table that does not begin with uid, unless it is listed below
 * with the reason it may.
 */
import type { DialectName } from './dialect.js';
import type { TableNames } from './schema.js';

/** The tables a name of `TableNames` stands for. */
export type TableKey = Exclude<keyof TableNames, 'prefix'>;

/** The tables of users' rows: to distribute by uid. */
export const USER_TABLES: readonly TableKey[] = ['items', 'messages', 'reminders'];

/** A table that holds no user's rows, and why it need not be distributed. */
export interface GlobalTable {
  readonly table: TableKey;
  readonly reason: string;
}

/**
 * The tables that are not per user: tiny and for coordination only, so on a sharded engine they
 * are reference tables (Citus) or live in an unsharded keyspace (Vitess).
 */
export const GLOBAL_TABLES: readonly GlobalTable[] = [
  {
    table: 'schemaVersion',
    reason: 'one row per migration, read and written only when an instance starts',
  },
  {
    table: 'locks',
    reason: "one row per named lease (retention's sweep), a write per batch of the one holder",
  },
];

/** A key or index of a user table that does not begin with uid, and why it may not. */
export interface UidFirstException {
  readonly table: TableKey;
  /** `primary key`, `unique (columns)`, or the name of a created index without the prefix. */
  readonly key: string;
  /** The dialects whose schema has it. */
  readonly dialects: readonly DialectName[];
  readonly reason: string;
}

/** Every exception to the rule; the test fails on any other, and on any listed but not found. */
export const UID_FIRST_EXCEPTIONS: readonly UidFirstException[] = [
  {
    table: 'reminders',
    key: 'reminders_due',
    dialects: ['sqlite', 'postgres', 'mysql'],
    reason:
      'getReminders hands out the due reminders of every user, oldest first: the one read across ' +
      'users, by design (a back-end pulls them). On a sharded engine this is a local index on ' +
      'each shard, and the query runs on every shard, each returning its oldest, which are merged.',
  },
  {
    table: 'messages',
    key: 'primary key',
    dialects: ['sqlite', 'mysql'],
    reason:
      "the arrival counter `seq` is the row key: SQLite's rowid, and InnoDB wants an " +
      'AUTO_INCREMENT column to lead an index. Every statement still names the uid (through ' +
      "messages_since and the unique (uid, msgid)). On Vitess the shard key is the table's " +
      'vindex (uid), which need not lead the primary key, but seq must then come from a Vitess ' +
      'sequence, so that rows moved by resharding never collide. PostgreSQL has no such key ' +
      '(seq is unindexed there).',
  },
];
