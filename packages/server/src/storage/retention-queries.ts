/**
 * Retention's statements (the rule is retention-rules.ts; docs/data-model.md, "Retention").
 *
 * A batch reads outside any write transaction: the next users after the cursor (one index probe
 * per user), then those users' log rows past the horizon, found
 * through messages_since (uid, ctime, seq) as the range `uid = u AND ctime < H` of each user.
 * Its write transaction then only deletes those rows by key: the log rows, the items they
 * created and those items' reminders, each by (uid, msgid), the prefix of a primary or unique
 * key. Nothing past the horizon ever comes back to life (a dismissal is final, an expiry fixed,
 * and the horizon only moves on), so rows read before the transaction may still go in it.
 * Every statement names the users it touches: nothing scans other users' rows.
 */
import type { MsgID, UID } from 'gregor-client/protocol';
import { toHex } from 'gregor-client/protocol';
import type { PruneCandidate } from 'gregor-client/state/internal';
import type { DialectName, KeyListMatcher, SqlSession } from './dialect.js';
import type { TableNames } from './schema.js';
import { chunks, placeholders, readBytesColumn, readIntColumn } from './sql-values.js';

/**
 * The next `count` users after a cursor, ascending, each found with one index probe whatever its
 * number of rows (no DISTINCT over every row). Every user with rows has log rows (an item's
 * creation is logged), so the log's uid-first indexes list them all. MySQL/MariaDB jump from one
 * uid to the next by themselves (a loose index scan for GROUP BY); SQLite and PostgreSQL have no
 * such scan, so a recursive query asks for the first uid past the previous one, each a seek (in
 * MariaDB that correlated seek scans from the start of the index instead, hence the two forms).
 * Parameter: the cursor (an empty byte string sorts before every uid).
 */
export function nextUsersSql(t: TableNames, dialect: DialectName, count: number): string {
  const n = Math.trunc(count);
  if (dialect === 'mysql') {
    return `SELECT uid FROM ${t.messages} WHERE uid > ? GROUP BY uid ORDER BY uid LIMIT ${n}`;
  }
  return (
    'WITH RECURSIVE next_users (uid, n) AS (' +
    ` SELECT (SELECT uid FROM ${t.messages} WHERE uid > ? ORDER BY uid LIMIT 1), 1` +
    ' UNION ALL' +
    ` SELECT (SELECT m.uid FROM ${t.messages} m WHERE m.uid > next_users.uid ORDER BY m.uid LIMIT 1), n + 1` +
    ` FROM next_users WHERE next_users.uid IS NOT NULL AND n < ${n}` +
    ') SELECT uid FROM next_users WHERE uid IS NOT NULL'
  );
}

/**
 * Log rows of `users` users past the horizon (isPastHorizon, spelled in SQL): logged before H,
 * and no item, or an item dismissed or expired at or before H (its absolute dtime, else ctime +
 * offset, written so that no sum can overflow). Ordered by user, then as since reads them.
 * Parameters: the uids, then H three times.
 */
export function pastHorizonSql(t: TableNames, users: number, limit: number): string {
  return (
    `SELECT uid, msgid, has_item FROM ${t.messages} ` +
    `WHERE uid IN (${placeholders(users)}) AND ctime < ? AND (has_item = 0 OR item_dismissed = 1 ` +
    'OR (item_dtime <> 0 AND item_dtime <= ?) ' +
    'OR (item_dtime = 0 AND item_dtime_offset <> 0 AND item_dtime_offset <= ? - ctime)) ' +
    `ORDER BY uid, ctime, seq LIMIT ${Math.trunc(limit)}`
  );
}

/** One log row that may go. */
export interface PruneRow extends PruneCandidate {
  readonly uid: UID;
  readonly msgID: MsgID;
}

/** Up to `count` users after `cursor` (null: from the first). */
export async function nextUsers(
  s: SqlSession,
  t: TableNames,
  dialect: DialectName,
  cursor: UID | null,
  count: number,
): Promise<UID[]> {
  const rows = await s.query(nextUsersSql(t, dialect, count), [cursor ?? new Uint8Array(0)]);
  return rows.map((row) => readBytesColumn(row.uid, 'uid') as UID);
}

/** The log rows of `users` past `horizon`, at most `limit`. */
export async function rowsPastHorizon(
  s: SqlSession,
  t: TableNames,
  users: readonly UID[],
  horizon: number,
  limit: number,
): Promise<PruneRow[]> {
  if (users.length === 0) return [];
  const rows = await s.query(pastHorizonSql(t, users.length, limit), [
    ...users,
    horizon,
    horizon,
    horizon,
  ]);
  return rows.map((row) => {
    const uid = readBytesColumn(row.uid, 'uid') as UID;
    return {
      uid,
      msgID: readBytesColumn(row.msgid, 'msgid') as MsgID,
      user: toHex(uid),
      hasItem: readIntColumn(row.has_item, 'has_item') === 1,
    };
  });
}

/** What one batch deleted, per table. */
export interface DeletedRows {
  items: number;
  messages: number;
  reminders: number;
}

/** Delete `rows` (log rows), and the items they created with those items' reminders, by key. */
export async function deleteRows(
  s: SqlSession,
  t: TableNames,
  match: KeyListMatcher,
  rows: readonly PruneRow[],
): Promise<DeletedRows> {
  const deleted: DeletedRows = { items: 0, messages: 0, reminders: 0 };
  for (const part of chunks(rows, match.maxKeys)) {
    deleted.messages += await s.run(
      `DELETE FROM ${t.messages} WHERE ${match.sql(part.length)}`,
      match.params(part),
    );
  }
  const creations = rows.filter((r) => r.hasItem);
  for (const part of chunks(creations, match.maxKeys)) {
    const where = match.sql(part.length);
    const params = match.params(part);
    deleted.reminders += await s.run(`DELETE FROM ${t.reminders} WHERE ${where}`, params);
    deleted.items += await s.run(`DELETE FROM ${t.items} WHERE ${where}`, params);
  }
  return deleted;
}
