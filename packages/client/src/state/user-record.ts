/**
 * One user's data in the memory engine: items in
 * insertion order, the message log (pruned only by retention), local dismissals and the outbox.
 */
import {
  bytesEqual,
  type Dismissal,
  type InBandMessage,
  type Message,
  type MsgID,
  type Time,
  toHex,
} from '../protocol/index.js';
import { inBandMetadata } from './consumable.js';
import { dismissalHitsItem, type ItemRecord } from './item-rules.js';

/** An item as the memory engine holds it; `dismissed` flips once, never back. */
export interface MemoryItem extends ItemRecord {
  dismissed: boolean;
}

/** A logged in-band message: stamped copy, logged ctime, and the item it created, if any. */
export interface LogEntry {
  readonly msg: InBandMessage;
  readonly ctime: Time;
  readonly item: MemoryItem | null;
}

/** Items, log, local dismissals and outbox of one user; lookups by msgID are O(1). */
export class UserRecord {
  readonly items: MemoryItem[] = [];
  readonly log: LogEntry[] = [];
  localDismissals: MsgID[] = [];
  outbox: Message[] = [];
  readonly #itemsByID = new Map<string, MemoryItem>();
  readonly #logByID = new Map<string, LogEntry>();

  /** The item created with `msgID`, if any. */
  item(msgID: MsgID): MemoryItem | undefined {
    return this.#itemsByID.get(toHex(msgID));
  }

  /** The logged message with `msgID`, if any. */
  logged(msgID: MsgID): LogEntry | undefined {
    return this.#logByID.get(toHex(msgID));
  }

  /** Add `item` unless one with its msgID exists (Keybase's addItem); returns the item kept. */
  addItem(item: MemoryItem): MemoryItem {
    const key = toHex(item.msgID);
    const existing = this.#itemsByID.get(key);
    if (existing !== undefined) return existing;
    this.items.push(item);
    this.#itemsByID.set(key, item);
    return item;
  }

  /** Append to the log unless that msgID is logged (logMessage); returns the entry kept. */
  logMessage(entry: LogEntry): LogEntry {
    const md = inBandMetadata(entry.msg);
    if (md === undefined) return entry;
    const key = toHex(md.msgID);
    const existing = this.#logByID.get(key);
    if (existing !== undefined) return existing;
    this.log.push(entry);
    this.#logByID.set(key, entry);
    return entry;
  }

  /**
   * Apply a dismissal taking effect at `dismissedAt`: by ID through the index (unknown IDs
   * are ignored and leave no tombstone), by range over every item; each item hit is dismissed on
   * every device and leaves the local dismissals.
   */
  dismiss(dismissal: Dismissal, dismissedAt: Time): void {
    for (const id of dismissal.msgIDs) {
      const item = this.item(id);
      if (item !== undefined) this.#dismissItem(item);
    }
    if (dismissal.ranges.length === 0) return;
    const byRange: Dismissal = { msgIDs: [], ranges: dismissal.ranges };
    for (const item of this.items) {
      if (dismissalHitsItem(byRange, item, dismissedAt)) this.#dismissItem(item);
    }
  }

  /**
   * Retention: forget the logged messages whose msgIDs (hex) are in `msgIDs`, with the items
   * they created (retention-rules.ts says which may go).
   */
  forget(msgIDs: ReadonlySet<string>): void {
    const kept = (id: MsgID) => !msgIDs.has(toHex(id));
    const log = this.log.filter((e) => kept(inBandMetadata(e.msg)!.msgID));
    const items = this.items.filter((item) => kept(item.msgID));
    this.log.splice(0, this.log.length, ...log);
    this.items.splice(0, this.items.length, ...items);
    for (const id of msgIDs) {
      this.#logByID.delete(id);
      this.#itemsByID.delete(id);
    }
  }

  /** True when nothing of this user is left: the record may go. */
  get isEmpty(): boolean {
    return (
      this.items.length === 0 &&
      this.log.length === 0 &&
      this.localDismissals.length === 0 &&
      this.outbox.length === 0
    );
  }

  /** Record a local dismissal, keeping the newest last and no duplicates. */
  addLocalDismissal(id: MsgID): void {
    this.removeLocalDismissal(id);
    this.localDismissals.push(id);
  }

  /** Forget a local dismissal. */
  removeLocalDismissal(id: MsgID): void {
    this.localDismissals = this.localDismissals.filter((x) => !bytesEqual(x, id));
  }

  #dismissItem(item: MemoryItem): void {
    item.dismissed = true;
    this.removeLocalDismissal(item.msgID);
  }
}
