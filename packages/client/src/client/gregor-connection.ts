/**
 * What a single-tab Gregor and a tab's SharedGregor both are: the high-level API of one user's
 * connection. This holds the part they share (the live items and their filters, the writes as
 * gregor.1 messages, the events and the change feed); each says how a message is written, how an
 * item is hidden locally, how an out-of-band message goes, and what the status is. Browser-safe.
 */

import type { Message } from '../protocol/index.js';
import { type MsgID, parseMsgId, toHex, type UID } from '../protocol/index.js';
import type { Clock } from '../state/index.js';
import { ChangeFeed, DEFAULT_CHANGE_BUFFER } from './change-feed.js';
import { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import type {
  GregorChange,
  GregorChangeOrOverflow,
  GregorEventMap,
  GregorEventName,
  GregorStatus,
  ItemFilter,
} from './gregor.js';
import {
  type CategoryRange,
  categoryDismissalMessage,
  creationMessage,
  dismissalMessage,
  type IdInput,
  type NewItem,
  replaceMessage,
} from './item-messages.js';
import type { BodyInput, GregorItem, OutOfBandView } from './item-view.js';
import { inBandMsgID } from './local-replica.js';
import type { WriteOptions } from './write-acks.js';

/** What the shared part needs. */
export interface GregorConnectionOptions {
  /** The source of "now" that hides expired items. */
  clock: Clock;
  /** Where a throwing listener is reported. */
  logger: ClientLogger;
  /** Changes a `changes()` reader holds before it overflows. @default 1024 */
  changeBufferSize?: number;
}

function idsOf(ids: IdInput | readonly IdInput[]): readonly IdInput[] {
  return typeof ids === 'string' || ids instanceof Uint8Array ? [ids] : ids;
}

/** One user's notification state, kept in sync with gregord (see Gregor, SharedGregor). */
export abstract class GregorConnection {
  /** The user, lowercase hex. */
  readonly uid: string;
  /** The user's ID bytes, for the messages. */
  protected readonly userId: UID;
  protected readonly events: ClientEvents<GregorEventMap>;
  protected readonly feed: ChangeFeed<GregorChange>;
  protected readonly clock: Clock;
  /** The live items by hex ID, in state order (ctime, then ID). */
  protected live = new Map<string, GregorItem>();

  constructor(uid: UID, options: GregorConnectionOptions) {
    this.userId = uid;
    this.uid = toHex(uid);
    this.clock = options.clock;
    this.events = new ClientEvents<GregorEventMap>(options.logger);
    this.feed = new ChangeFeed<GregorChange>(options.changeBufferSize ?? DEFAULT_CHANGE_BUFFER);
  }

  /** The current connection status. */
  abstract get status(): GregorStatus;

  /**
   * Send the prebuilt in-band message `m` (its msgID set) as an acknowledged write; the writes
   * below build theirs and call this. Sending the same message again is the same write.
   */
  abstract write(m: Message, options?: WriteOptions): Promise<void>;

  /** Hide item `id` on this device only; emits `dismiss` at once. */
  abstract dismissLocally(id: IdInput): Promise<void>;

  /**
   * Send an out-of-band message to the user's connected devices (this one included). It is not
   * stored nor queued: it needs a connection (GREGOR_ERR_CLOSED otherwise), and resolves once the
   * server took it.
   */
  abstract sendOutOfBand(system: string, body: BodyInput): Promise<void>;

  /** Close and stop; waiting writes reject with GREGOR_ERR_CLOSED. Idempotent. */
  abstract close(): Promise<void>;

  /**
   * The live items, oldest first: neither dismissed nor expired nor locally dismissed, filtered
   * by `category` and/or `prefix`. A snapshot, current as of the last `item`/`dismiss` event.
   */
  items(filter: ItemFilter = {}): GregorItem[] {
    const now = this.clock.now();
    const out: GregorItem[] = [];
    for (const item of this.live.values()) {
      if (filter.category !== undefined && item.category !== filter.category) continue;
      if (filter.prefix !== undefined && !item.category.startsWith(filter.prefix)) continue;
      if (item.isExpiredAt(now)) continue;
      out.push(item);
    }
    return out;
  }

  /** The live item `id`, or undefined. */
  item(id: IdInput): GregorItem | undefined {
    const item = this.live.get(toHex(parseMsgId(id)));
    return item === undefined || item.isExpiredAt(this.clock.now()) ? undefined : item;
  }

  /**
   * Create an item; resolves with its ID (hex) once the server stored it (see WriteOptions for
   * offline, `queued`, abort and timeout).
   */
  async create(item: NewItem, options: WriteOptions = {}): Promise<string> {
    const m = creationMessage(this.userId, item);
    await this.write(m, options);
    return toHex(inBandMsgID(m) as MsgID);
  }

  /** Dismiss the items `ids` on every device of the user. */
  async dismiss(ids: IdInput | readonly IdInput[], options: WriteOptions = {}): Promise<void> {
    await this.write(dismissalMessage(this.userId, idsOf(ids)), options);
  }

  /**
   * Dismiss the items of `category` created at or before `before` (left out: all of them up to
   * now), except the items `except`, in one message.
   */
  async dismissCategory(category: string, range: CategoryRange & WriteOptions = {}): Promise<void> {
    await this.write(categoryDismissalMessage(this.userId, category, range), range);
  }

  /**
   * Replace every item of `category` by `item`, in one message that creates the new item and
   * dismisses the category's others (so no device ever sees both, or neither). Resolves with the
   * new item's ID.
   */
  async replace(
    category: string,
    item: Omit<NewItem, 'category'>,
    options: WriteOptions = {},
  ): Promise<string> {
    const m = replaceMessage(this.userId, category, item);
    await this.write(m, options);
    return toHex(inBandMsgID(m) as MsgID);
  }

  /** Call `listener` on every `event`; returns the function that removes it. */
  on<E extends GregorEventName>(
    event: E,
    listener: (...args: GregorEventMap[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** Remove a listener added with `on`. */
  off<E extends GregorEventName>(event: E, listener: (...args: GregorEventMap[E]) => void): void {
    this.events.off(event, listener);
  }

  /**
   * The changes from now on, for `for await`: `item`, `dismiss` and `oob`. Each iterator buffers
   * up to `changeBufferSize` changes; past that its buffer is dropped and it yields one
   * `{ type: 'overflow', dropped }`, after which it should re-read `items()`. It ends at `close()`;
   * `break` out of the loop to stop reading earlier.
   */
  changes(): AsyncIterableIterator<GregorChangeOrOverflow> {
    return this.feed.iterate();
  }

  /** Tell the listeners and the feed that `item` appeared. */
  protected reportItem(item: GregorItem): void {
    this.events.emit('item', item);
    this.feed.push({ type: 'item', item });
  }

  /** Tell the listeners and the feed that the items `ids` went. */
  protected reportDismiss(ids: readonly string[]): void {
    this.events.emit('dismiss', ids);
    this.feed.push({ type: 'dismiss', ids });
  }

  /** Tell the listeners and the feed that `message` arrived. */
  protected reportOob(message: OutOfBandView): void {
    this.events.emit('oob', message);
    this.feed.push({ type: 'oob', message });
  }
}
