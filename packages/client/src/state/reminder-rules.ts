/**
 * Reminder rules as pure functions (docs/data-model.md, "Reminders"): every engine follows the SQL
 * engine's rules, and locks each reminder it hands out so that delivery is at least once.
 */
import { gregorError } from '../errors.js';
import {
  compareBytes,
  type Reminder,
  type ReminderID,
  type Time,
  type TimeOrOffset,
} from '../protocol/index.js';
import { exportItem, type ItemRecord, isItemDismissedAt } from './item-rules.js';
import { resolveTimeOrOffset } from './time-rules.js';

/** The most reminders one call hands out; 0 or more than this means this. */
export const MAX_REMINDERS_PER_CALL = 1000;

/** One scheduled reminder of an item: `remindTimes[seqno]` resolved to `rtime` (ms). */
export interface ReminderSlot {
  readonly seqno: number;
  readonly rtime: Time;
}

/** A stored reminder: its item, its slot, and when it was last handed out (null: never). */
export interface ReminderRecord extends ReminderSlot {
  readonly item: ItemRecord;
  readonly lockTime: Time | null;
}

/**
 * The reminders a creation schedules: one per set `remindTimes[i]`, seqno = i, an absolute
 * time kept, an offset resolved against the item's ctime (ctime is the offset base for
 * dtime; reminders follow it). Unset entries schedule nothing but keep their index.
 */
export function reminderSlots(ctime: Time, remindTimes: readonly TimeOrOffset[]): ReminderSlot[] {
  const slots: ReminderSlot[] = [];
  remindTimes.forEach((t, seqno) => {
    const rtime = resolveTimeOrOffset(t, ctime);
    if (rtime !== null) slots.push({ seqno, rtime });
  });
  return slots;
}

/**
 * The effective `max` of Reminders(max): 0 or more than 1000 means 1000. A negative or
 * fractional `max` is an input error (Go would pass it to LIMIT).
 */
export function reminderLimit(max: number): number {
  if (!Number.isInteger(max) || max < 0) {
    throw gregorError(
      'GREGOR_ERR_INPUT_INVALID',
      `reminders: max must be an integer ≥ 0, got ${max}`,
    );
  }
  return max === 0 || max > MAX_REMINDERS_PER_CALL ? MAX_REMINDERS_PER_CALL : max;
}

/**
 * True when the reminder may be handed out at `now`: its time has come (rtime ≤ now), its
 * item is neither dismissed nor expired, and it is unlocked or its lock is at least `lockDurationMs`
 * old (`lock_time <= now - lockDuration`).
 */
export function isReminderDue(r: ReminderRecord, now: Time, lockDurationMs: number): boolean {
  if (r.rtime > now) return false;
  if (isItemDismissedAt(r.item, now)) return false;
  return r.lockTime === null || r.lockTime <= now - lockDurationMs;
}

/** Reminder order: oldest rtime first, then uid bytes, msgID bytes and seqno, so ties are stable. */
export function compareReminders(a: ReminderRecord, b: ReminderRecord): number {
  return (
    a.rtime - b.rtime ||
    compareBytes(a.item.uid, b.item.uid) ||
    compareBytes(a.item.msgID, b.item.msgID) ||
    a.seqno - b.seqno
  );
}

/**
 * Choose what Reminders(max) returns at `now`: the due reminders in `compareReminders` order, at
 * most `reminderLimit(max)`; `moreRemindersReady` is true when more were due than returned.
 * The caller locks the picked ones (lockTime = now).
 */
export function pickDueReminders<T extends ReminderRecord>(
  candidates: Iterable<T>,
  max: number,
  now: Time,
  lockDurationMs: number,
): { picked: T[]; moreRemindersReady: boolean } {
  const limit = reminderLimit(max);
  const due: T[] = [];
  for (const r of candidates) if (isReminderDue(r, now, lockDurationMs)) due.push(r);
  due.sort(compareReminders);
  return { picked: due.slice(0, limit), moreRemindersReady: due.length > limit };
}

/** The wire Reminder of a stored one: the item exported as a state exports it. */
export function exportReminder(r: ReminderRecord): Reminder {
  return { item: exportItem(r.item), seqno: r.seqno, remindTime: r.rtime };
}

/** The ReminderID that names a stored reminder for deleteReminder. */
export function reminderIDOf(r: ReminderRecord): ReminderID {
  return { uid: r.item.uid, msgID: r.item.msgID, seqno: r.seqno };
}
