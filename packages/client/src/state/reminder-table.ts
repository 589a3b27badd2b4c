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

function itemKeyOf(uid: Uint8Array, msgID: Uint8Array): string {
  return `${toHex(uid)}/${toHex(msgID)}`;
}

function keyOf(uid: Uint8Array, msgID: Uint8Array, seqno: number): string {
  return `${itemKeyOf(uid, msgID)}/${seqno}`;
}

/** Every user's scheduled reminders, keyed by (uid, msgID, seqno) like gregor_reminders. */
export class ReminderTable {
  readonly #byKey = new Map<string, StoredReminder>();
  /** The seqnos scheduled per item, so that retention forgets an item's reminders without a scan. */
  readonly #seqnosByItem = new Map<string, Set<number>>();

  /** Schedule the reminders of a newly created item (one per set remindTimes entry). */
  schedule(item: ItemRecord, remindTimes: readonly TimeOrOffset[]): void {
    const itemKey = itemKeyOf(item.uid, item.msgID);
    for (const slot of reminderSlots(item.ctime, remindTimes)) {
      const key = keyOf(item.uid, item.msgID, slot.seqno);
      this.#byKey.set(key, { item, seqno: slot.seqno, rtime: slot.rtime, lockTime: null });
      const seqnos = this.#seqnosByItem.get(itemKey) ?? new Set<number>();
      seqnos.add(slot.seqno);
      this.#seqnosByItem.set(itemKey, seqnos);
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
    const itemKey = itemKeyOf(id.uid, id.msgID);
    const seqnos = this.#seqnosByItem.get(itemKey);
    seqnos?.delete(id.seqno);
    if (seqnos?.size === 0) this.#seqnosByItem.delete(itemKey);
  }

  /** Forget every reminder of one item (retention deletes the item); returns how many there were. */
  forgetItem(uid: Uint8Array, msgID: Uint8Array): number {
    const itemKey = itemKeyOf(uid, msgID);
    const seqnos = this.#seqnosByItem.get(itemKey);
    if (seqnos === undefined) return 0;
    let forgotten = 0;
    for (const seqno of seqnos) {
      if (this.#byKey.delete(keyOf(uid, msgID, seqno))) forgotten++;
    }
    this.#seqnosByItem.delete(itemKey);
    return forgotten;
  }

  /** Reminders scheduled, due or not. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Forget every reminder. */
  clear(): void {
    this.#byKey.clear();
    this.#seqnosByItem.clear();
  }
}
