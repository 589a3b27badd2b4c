/**
 * The items a batch of consumes can see while it is planned (consume-plan.ts): the undismissed
 * rows the batch read, plus the items created earlier in the same batch, per user. Dismissals
 * mark them here; at the end the overlay says which rows to insert and which existing rows a
 * dismissal hit. The decisions are the shared rules' (`dismissalHitsItem`).
 */
import { type Dismissal, type Time, toHex, type UID } from 'gregor-client/protocol';
import {
  dismissalHitsItem,
  type ItemRecord,
  type ReminderSlot,
} from 'gregor-client/state/internal';

/** One item as the batch currently sees it. */
export interface OverlayItem {
  record: ItemRecord;
  /** Created by this batch (to insert), or read from the database (to update). */
  readonly isNew: boolean;
  /** The reminders a new item schedules. */
  readonly slots: readonly ReminderSlot[];
}

/** The map key of a (uid, msgID) row. */
export const keyOf = (uid: Uint8Array, msgID: Uint8Array): string =>
  `${toHex(uid)}/${toHex(msgID)}`;

/** See the file header. */
export class BatchOverlay {
  readonly #byKey = new Map<string, OverlayItem>();
  readonly #byUser = new Map<string, OverlayItem[]>();
  readonly #dismissedExisting: ItemRecord[] = [];

  /** Start from the rows the batch read. */
  constructor(existing: readonly ItemRecord[]) {
    for (const record of existing) this.add(record, false, []);
  }

  /** Add an item unless one with its key is there already; returns the one kept. */
  add(record: ItemRecord, isNew: boolean, slots: readonly ReminderSlot[]): OverlayItem {
    const key = keyOf(record.uid, record.msgID);
    const found = this.#byKey.get(key);
    if (found !== undefined) return found;
    const item: OverlayItem = { record, isNew, slots };
    this.#byKey.set(key, item);
    const uid = toHex(record.uid);
    const list = this.#byUser.get(uid);
    if (list === undefined) this.#byUser.set(uid, [item]);
    else list.push(item);
    return item;
  }

  /**
   * Apply `dismissal` of user `uid` taking effect at `dismissedAt`; returns the items it
   * dismissed, as they were before (the quota gives their room back).
   */
  dismiss(uid: UID, dismissal: Dismissal, dismissedAt: Time): ItemRecord[] {
    const hit: ItemRecord[] = [];
    for (const item of this.#byUser.get(toHex(uid)) ?? []) {
      if (item.record.dismissed || !dismissalHitsItem(dismissal, item.record, dismissedAt))
        continue;
      hit.push(item.record);
      item.record = { ...item.record, dismissed: true };
      if (!item.isNew) this.#dismissedExisting.push(item.record);
    }
    return hit;
  }

  /** Items that existed before the batch and that it dismissed. */
  get dismissedExisting(): readonly ItemRecord[] {
    return this.#dismissedExisting;
  }

  /** Items the batch created, as it leaves them. */
  newItems(): OverlayItem[] {
    return [...this.#byKey.values()].filter((item) => item.isNew);
  }
}
