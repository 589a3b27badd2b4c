/**
 * The memory engine's reminders, implemented per the SQL engine's rules so that the one
 * conformance suite runs unchanged on every engine (docs/data-model.md, "Reminders").
 */
import {
  type ReminderID,
  type ReminderSet,
  type Time,
  type TimeOrOffset,
  toHex,
} from '../protocol/index.js';
import type { ItemRecord } from './item-rules.js';
import {
  exportReminder,
  pickDueReminders,
  type ReminderRecord,
  reminderSlots,
} from './reminder-rules.js';

interface StoredReminder extends ReminderRecord {
  lockTime: Time | null;
}

function keyOf(uid: Uint8Array, msgID: Uint8Array, seqno: number): string {
  return `${toHex(uid)}/${toHex(msgID)}/${seqno}`;
}

/** Every user's scheduled reminders, keyed by (uid, msgID, seqno) like gregor_reminders. */
export class ReminderTable {
  readonly #byKey = new Map<string, StoredReminder>();

  /** Schedule the reminders of a newly created item (one per set remindTimes entry). */
  schedule(item: ItemRecord, remindTimes: readonly TimeOrOffset[]): void {
    for (const slot of reminderSlots(item.ctime, remindTimes)) {
      const key = keyOf(item.uid, item.msgID, slot.seqno);
      this.#byKey.set(key, { item, seqno: slot.seqno, rtime: slot.rtime, lockTime: null });
    }
  }

  /** Hand out up to `max` due reminders at `now`, locking each one (Keybase's Reminders). */
  take(max: number, now: Time, lockDurationMs: number): ReminderSet {
    const { picked, moreRemindersReady } = pickDueReminders(
      this.#byKey.values(),
      max,
      now,
      lockDurationMs,
    );
    for (const r of picked) r.lockTime = now;
    return { reminders: picked.map(exportReminder), moreRemindersReady };
  }

  /** Forget one reminder; an unknown ID is not an error (Keybase's is a plain DELETE). */
  delete(id: ReminderID): void {
    this.#byKey.delete(keyOf(id.uid, id.msgID, id.seqno));
  }

  /** Forget every reminder. */
  clear(): void {
    this.#byKey.clear();
  }
}
