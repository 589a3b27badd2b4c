/**
 * Reminders: hand out and delete, with at-least-once delivery (docs/data-model.md, "Reminders").
 *
 * Taking reminders runs in one write transaction: the due, unlocked reminders of unexpired items
 * are selected through reminders_due (rtime), oldest first, with their rows locked (FOR UPDATE
 * SKIP LOCKED on PostgreSQL and MariaDB, so a second instance skips them instead of waiting;
 * SQLite's BEGIN IMMEDIATE already excludes every other writer); their items are read by primary
 * key; the shared rule picks; the picked are stamped lock_time = now. Two instances on one
 * database therefore never hand out the same reminder within the lock duration.
 */
import type { ReminderID, ReminderSet, Time } from 'gregor-client/protocol';
import {
  exportReminder,
  type ItemRecord,
  pickDueReminders,
  type ReminderRecord,
  reminderLimit,
} from 'gregor-client/state/internal';
import { keyOf } from './batch-overlay.js';
import type { Dialect, KeyListMatcher, RowKeyLike, SqlSession } from './dialect.js';
import { itemColumns, itemFromRow } from './item-rows.js';
import type { TableNames } from './schema.js';
import {
  chunks,
  keysMatch,
  readBytesColumn,
  readIntColumn,
  readIntOrNullColumn,
} from './sql-values.js';

/** Keys matched by one statement: one index probe each. */
const MAX_KEYS_PER_STATEMENT = 200;

/**
 * The due-reminders query, on the reminders table alone: reminders_due (rtime) up to now, unlocked
 * or with an expired lock, of items not expired (a dismissal deletes its item's reminders); oldest
 * first, rows locked where the dialect can. Parameters: now, now − lock duration, now, limit.
 */
export function dueRemindersSql(t: TableNames, d: Pick<Dialect, 'lockRowsSkipLocked'>): string {
  return (
    `SELECT uid, msgid, seqno, rtime, lock_time FROM ${t.reminders} ` +
    'WHERE rtime <= ? AND (lock_time IS NULL OR lock_time <= ?) AND expire_at > ? ' +
    `ORDER BY rtime, uid, msgid, seqno LIMIT ? ${d.lockRowsSkipLocked}`
  );
}

/** The items of `keys`, by primary key, keyed by hex uid/msgID. */
async function itemsByKey(
  s: SqlSession,
  t: TableNames,
  match: KeyListMatcher,
  keys: readonly RowKeyLike[],
): Promise<Map<string, ItemRecord>> {
  const found = new Map<string, ItemRecord>();
  for (const part of chunks(keys, match.maxKeys)) {
    const rows = await s.query(
      `SELECT ${itemColumns()} FROM ${t.items} WHERE ${match.sql(part.length)}`,
      match.params(part),
    );
    for (const row of rows) {
      const item = itemFromRow(row);
      found.set(keyOf(item.uid, item.msgID), item);
    }
  }
  return found;
}

/** Hand out up to `max` due reminders at `now`, locking them for `lockDurationMs`. */
export async function takeReminders(
  d: Dialect,
  t: TableNames,
  max: number,
  now: Time,
  lockDurationMs: number,
): Promise<ReminderSet> {
  // One more than the limit, so moreRemindersReady can tell whether more were due.
  const fetch = reminderLimit(max) + 1;
  return d.transaction(async (s) => {
    const due = await s.query(dueRemindersSql(t, d), [now, now - lockDurationMs, now, fetch]);
    const slots = due.map((row) => ({
      uid: readBytesColumn(row.uid, 'uid'),
      msgID: readBytesColumn(row.msgid, 'msgid'),
      seqno: readIntColumn(row.seqno, 'seqno'),
      rtime: readIntColumn(row.rtime, 'rtime'),
      lockTime: readIntOrNullColumn(row.lock_time, 'lock_time'),
    }));
    const items = await itemsByKey(s, t, d.matchKeys, slots);
    const candidates: ReminderRecord[] = slots.flatMap(({ uid, msgID, ...slot }) => {
      const item = items.get(keyOf(uid, msgID));
      return item === undefined ? [] : [{ item, ...slot }];
    });
    // The shared rule decides; the SQL above only narrowed the rows to read.
    const { picked, moreRemindersReady } = pickDueReminders(candidates, max, now, lockDurationMs);
    await lockReminders(s, t, picked, now);
    return { reminders: picked.map(exportReminder), moreRemindersReady };
  });
}

async function lockReminders(
  s: SqlSession,
  t: TableNames,
  picked: readonly ReminderRecord[],
  now: Time,
): Promise<void> {
  for (const part of chunks(picked, MAX_KEYS_PER_STATEMENT)) {
    await s.run(
      `UPDATE ${t.reminders} SET lock_time = ? WHERE ${keysMatch(['uid', 'msgid', 'seqno'], part.length)}`,
      [now, ...part.flatMap((r) => [r.item.uid, r.item.msgID, r.seqno])],
    );
  }
}

/** Delete one reminder; an unknown ID is not an error (a plain DELETE). */
export async function deleteReminder(d: Dialect, t: TableNames, id: ReminderID): Promise<void> {
  await d.transaction((s) =>
    s.run(`DELETE FROM ${t.reminders} WHERE uid = ? AND msgid = ? AND seqno = ?`, [
      id.uid,
      id.msgID,
      id.seqno,
    ]),
  );
}
