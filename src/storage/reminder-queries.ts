/**
 * Reminders (gregor-protocol.md §4.3 Reminders/DeleteReminder, §6.7 at-least-once delivery).
 *
 * Taking reminders runs in one write transaction: the due, unlocked reminders of live items are
 * selected through reminders_due (rtime), oldest first, with their rows locked (FOR UPDATE SKIP
 * LOCKED on PostgreSQL and MariaDB, so a second instance skips them instead of waiting; SQLite's
 * BEGIN IMMEDIATE already excludes every other writer), then stamped with lock_time = now. Two
 * instances on one database therefore never hand out the same reminder within the lock duration.
 */
import type { ReminderID, ReminderSet, Time } from '../protocol/index.js';
import {
  exportReminder,
  pickDueReminders,
  type ReminderRecord,
  reminderLimit,
} from '../state/index.js';
import type { Dialect, SqlSession } from './dialect.js';
import { itemColumns, itemFromRow } from './item-rows.js';
import type { TableNames } from './schema.js';
import { keysMatch, readIntColumn, readIntOrNullColumn } from './sql-values.js';

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
    const rows = await s.query(
      `SELECT ${itemColumns('i')}, r.seqno, r.rtime, r.lock_time ` +
        `FROM ${t.reminders} r JOIN ${t.items} i ON i.uid = r.uid AND i.msgid = r.msgid ` +
        'WHERE r.rtime <= ? AND (r.lock_time IS NULL OR r.lock_time <= ?) ' +
        'AND i.dismissed = 0 AND i.expire_at > ? ' +
        `ORDER BY r.rtime, r.uid, r.msgid, r.seqno LIMIT ? ${d.lockRowsSkipLocked}`,
      [now, now - lockDurationMs, now, fetch],
    );
    const candidates: ReminderRecord[] = rows.map((row) => ({
      item: itemFromRow(row),
      seqno: readIntColumn(row.seqno, 'seqno'),
      rtime: readIntColumn(row.rtime, 'rtime'),
      lockTime: readIntOrNullColumn(row.lock_time, 'lock_time'),
    }));
    const { picked, moreRemindersReady } = pickDueReminders(candidates, max, now, lockDurationMs);
    await lockReminders(s, t, picked, now);
    return { reminders: picked.map(exportReminder), moreRemindersReady };
  });
}

const MAX_KEYS_PER_STATEMENT = 200;

async function lockReminders(
  s: SqlSession,
  t: TableNames,
  picked: readonly ReminderRecord[],
  now: Time,
): Promise<void> {
  for (let i = 0; i < picked.length; i += MAX_KEYS_PER_STATEMENT) {
    const part = picked.slice(i, i + MAX_KEYS_PER_STATEMENT);
    await s.run(
      `UPDATE ${t.reminders} SET lock_time = ? WHERE ${keysMatch(['uid', 'msgid', 'seqno'], part.length)}`,
      [now, ...part.flatMap((r) => [r.item.uid, r.item.msgID, r.seqno])],
    );
  }
}

/** Delete one reminder; an unknown ID is not an error (§4.3: a plain DELETE). */
export async function deleteReminder(d: Dialect, t: TableNames, id: ReminderID): Promise<void> {
  await d.transaction((s) =>
    s.run(`DELETE FROM ${t.reminders} WHERE uid = ? AND msgid = ? AND seqno = ?`, [
      id.uid,
      id.msgID,
      id.seqno,
    ]),
  );
}
