/**
 * The high-level client API (docs/client-api.md): one user's live items, acknowledged writes,
 * typed events and a change feed, on top of a GregorClient (which keeps the local replica, the
 * syncer, the persisted outbox and the reconnects). It wraps the client and never duplicates it:
 * every write goes through the client's outbox, every read through its replica. Browser-safe.
 */
import { type GregorError, gregorError } from '../errors.js';
import {
  type Item,
  type ItemAndMetadata,
  type Message,
  type MsgID,
  parseMsgId,
  toHex,
} from '../protocol/index.js';
import type { Clock } from '../state/index.js';
import { ChangeFeed, DEFAULT_CHANGE_BUFFER, type Overflow } from './change-feed.js';
import { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import type { GregorClient } from './gregor-client.js';
import {
  type CategoryRange,
  categoryDismissalMessage,
  creationMessage,
  dismissalMessage,
  type IdInput,
  type NewItem,
  replaceMessage,
} from './item-messages.js';
import {
  type BodyInput,
  encodeBody,
  type GregorItem,
  itemView,
  OutOfBandView,
} from './item-view.js';
import { inBandMsgID } from './local-replica.js';
import { Serial } from './serial.js';
import type { ClientStatus } from './status-stream.js';
import type { Timers } from './timers.js';
import { WriteAcks, type WriteOptions } from './write-acks.js';

/** The connection as the high-level API reports it. */
export type GregorStatus =
  /** Opening a connection; `attempt` counts the failures since the last success. */
  | { readonly type: 'connecting'; readonly attempt: number }
  /** Connected, logged in, synced, outbox sent. */
  | { readonly type: 'online' }
  /** Not connected, because of `error`; `retryInMs` is set while a reconnect is scheduled. */
  | {
      readonly type: 'offline';
      readonly error: GregorError | undefined;
      readonly retryInMs?: number;
    }
  /** Closed for good: by `close()` (`error` undefined) or because reconnecting gave up. */
  | { readonly type: 'closed'; readonly error: GregorError | undefined };

/** A change of the user's items, or an out-of-band message. */
export type GregorChange =
  | { readonly type: 'item'; readonly item: GregorItem }
  | { readonly type: 'dismiss'; readonly ids: readonly string[] }
  | { readonly type: 'oob'; readonly message: OutOfBandView };

/** What `changes()` yields: the changes, and `overflow` when this reader fell behind. */
export type GregorChangeOrOverflow = GregorChange | Overflow;

/** Event name → listener arguments. */
export type GregorEventMap = {
  /** An item appeared (a write of any device, or found by a sync). */
  item: [item: GregorItem];
  /** Items are gone: dismissed (by any device, or locally with dismissLocally). */
  dismiss: [ids: readonly string[]];
  /** An out-of-band message arrived. */
  oob: [message: OutOfBandView];
  /** The connection status changed. */
  status: [status: GregorStatus];
  /** A sync finished (at each connect, and when the server asks for one); `items()` is current. */
  synced: [info: { readonly isFresh: boolean }];
  /** The server refused a write for good; for writes nobody awaits (`queued: true`). */
  rejected: [id: string, error: GregorError];
};

/** The names of the high-level events. */
export type GregorEventName = keyof GregorEventMap;

/** Which items `items()` returns. */
export interface ItemFilter {
  /** Only this category. */
  category?: string;
  /** Only categories starting with this. */
  prefix?: string;
}

/** What a Gregor is built from besides its client. */
export interface GregorOptions {
  /** The source of "now" that hides expired items. */
  clock: Clock;
  /** The timers of write timeouts. */
  timers: Timers;
  /** Where a failed refresh and a throwing listener are reported. */
  logger: ClientLogger;
  /** Changes a `changes()` reader holds before it overflows. @default 1024 */
  changeBufferSize?: number;
}

/** `status` of the client as the high-level API reports it. */
export function gregorStatusOf(status: ClientStatus): GregorStatus {
  switch (status.type) {
    case 'connecting':
      return status;
    case 'connected':
      return { type: 'online' };
    case 'disconnected':
      return { type: 'offline', error: status.error };
    case 'reconnecting':
      return { type: 'offline', error: status.error, retryInMs: status.delayMs };
    case 'closed':
      return status;
  }
}

function idsOf(ids: IdInput | readonly IdInput[]): readonly IdInput[] {
  return typeof ids === 'string' || ids instanceof Uint8Array ? [ids] : ids;
}

/** One user's notification state on this device, kept in sync with gregord. */
export class Gregor {
  /** The low-level client underneath, for the record API (GregorClient). */
  readonly client: GregorClient;
  /** The user, lowercase hex. */
  readonly uid: string;
  readonly #events: ClientEvents<GregorEventMap>;
  readonly #feed: ChangeFeed<GregorChange>;
  readonly #acks: WriteAcks;
  readonly #clock: Clock;
  readonly #logger: ClientLogger;
  readonly #refreshes = new Serial();
  /** The live items by hex ID, in state order (ctime, then ID). */
  #items = new Map<string, GregorItem>();

  /** Wrap `client` (not started yet: `connect` starts it after this subscribed). */
  constructor(client: GregorClient, options: GregorOptions) {
    this.client = client;
    this.uid = toHex(client.uid);
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = new ClientEvents<GregorEventMap>(options.logger);
    this.#feed = new ChangeFeed<GregorChange>(options.changeBufferSize ?? DEFAULT_CHANGE_BUFFER);
    this.#acks = new WriteAcks(options.timers);
    client.on('state', () => void this.#refresh());
    client.on('sync', (outcome) => {
      void this.#refresh().then(() => this.#events.emit('synced', { isFresh: outcome.isFresh }));
    });
    client.on('message', (m) => this.#onMessage(m));
    client.on('acknowledged', (m) => this.#acks.acknowledged(m));
    client.on('rejected', (m, err) => {
      this.#acks.rejected(m, err);
      const msgID = inBandMsgID(m);
      if (msgID !== undefined) this.#events.emit('rejected', toHex(msgID), err);
    });
    client.on('status', (status) => {
      if (status.type === 'closed') this.#onClosed();
      this.#events.emit('status', gregorStatusOf(status));
    });
  }

  /** The current connection status. */
  get status(): GregorStatus {
    return gregorStatusOf(this.client.currentStatus);
  }

  /**
   * The live items, oldest first: neither dismissed nor expired nor locally dismissed, filtered
   * by `category` and/or `prefix`. A snapshot, current as of the last `item`/`dismiss` event.
   */
  items(filter: ItemFilter = {}): GregorItem[] {
    const now = this.#clock.now();
    const out: GregorItem[] = [];
    for (const item of this.#items.values()) {
      if (filter.category !== undefined && item.category !== filter.category) continue;
      if (filter.prefix !== undefined && !item.category.startsWith(filter.prefix)) continue;
      if (item.isExpiredAt(now)) continue;
      out.push(item);
    }
    return out;
  }

  /** The live item `id`, or undefined. */
  item(id: IdInput): GregorItem | undefined {
    const item = this.#items.get(toHex(parseMsgId(id)));
    return item === undefined || item.isExpiredAt(this.#clock.now()) ? undefined : item;
  }

  /**
   * Create an item; resolves with its ID (hex) once the server stored it (see WriteOptions for
   * offline, `queued`, abort and timeout).
   */
  async create(item: NewItem, options: WriteOptions = {}): Promise<string> {
    const m = creationMessage(this.client.uid, item);
    await this.#write(m, options);
    return toHex(inBandMsgID(m)!);
  }

  /** Dismiss the items `ids` on every device of the user. */
  async dismiss(ids: IdInput | readonly IdInput[], options: WriteOptions = {}): Promise<void> {
    await this.#write(dismissalMessage(this.client.uid, idsOf(ids)), options);
  }

  /**
   * Dismiss the items of `category` created at or before `before` (left out: all of them up to
   * now), except the items `except`, in one message.
   */
  async dismissCategory(category: string, range: CategoryRange & WriteOptions = {}): Promise<void> {
    await this.#write(categoryDismissalMessage(this.client.uid, category, range), range);
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
    const m = replaceMessage(this.client.uid, category, item);
    await this.#write(m, options);
    return toHex(inBandMsgID(m)!);
  }

  /** Hide item `id` on this device only (saved with the storage); emits `dismiss` at once. */
  async dismissLocally(id: IdInput): Promise<void> {
    const msgID = parseMsgId(id);
    const hex = toHex(msgID);
    const wasLive = this.#items.delete(hex);
    if (wasLive) this.#emitDismiss([hex]);
    await this.client.consumeLocalDismissal(msgID);
  }

  /**
   * Send an out-of-band message to the user's connected devices (this one included). It is not
   * stored nor queued: it needs a connection (GREGOR_ERR_CLOSED otherwise), and resolves once the
   * server took it.
   */
  async sendOutOfBand(system: string, body: BodyInput): Promise<void> {
    if (typeof system !== 'string' || system === '') {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'an out-of-band message needs a system');
    }
    await this.client.consumeMessage({
      oobm: { uid: this.client.uid, system, body: encodeBody(body) },
    });
  }

  /** Call `listener` on every `event`; returns the function that removes it. */
  on<E extends GregorEventName>(
    event: E,
    listener: (...args: GregorEventMap[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Remove a listener added with `on`. */
  off<E extends GregorEventName>(event: E, listener: (...args: GregorEventMap[E]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * The changes from now on, for `for await`: `item`, `dismiss` and `oob`. Each iterator buffers
   * up to `changeBufferSize` changes; past that its buffer is dropped and it yields one
   * `{ type: 'overflow', dropped }`, after which it should re-read `items()`. It ends at `close()`;
   * `break` out of the loop to stop reading earlier.
   */
  changes(): AsyncIterableIterator<GregorChangeOrOverflow> {
    return this.#feed.iterate();
  }

  /** Close the connection and stop; waiting writes reject with GREGOR_ERR_CLOSED. Idempotent. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Read the replica into the item cache (after `restore`, before the first connect). */
  refresh(): Promise<void> {
    return this.#refresh();
  }

  async #write(m: Message, options: WriteOptions): Promise<void> {
    const msgID = inBandMsgID(m) as MsgID;
    if (options.signal?.aborted) {
      throw gregorError('GREGOR_ERR_ABORTED', 'write aborted before it was queued', {
        cause: options.signal.reason,
      });
    }
    if (options.queued) {
      await this.client.consumeMessage(m);
      return;
    }
    this.#acks.expect(msgID);
    try {
      await this.client.consumeMessage(m);
    } catch (err) {
      this.#acks.forget(msgID);
      throw err;
    }
    await this.#acks.wait(msgID, options, (id) => this.client.withdraw(id));
  }

  #onMessage(m: Message): void {
    const oobm = m.oobm;
    if (oobm === undefined) return;
    const message = new OutOfBandView(oobm.system, oobm.body ?? new Uint8Array(0));
    this.#events.emit('oob', message);
    this.#feed.push({ type: 'oob', message });
  }

  #onClosed(): void {
    this.#acks.rejectAll(
      gregorError(
        'GREGOR_ERR_CLOSED',
        'closed before the server acknowledged the write; it stays in the outbox (saved with the storage, if any) and the next client on that storage sends it',
      ),
    );
    this.#feed.end();
  }

  /** Re-read the replica and report what appeared and what went, one refresh at a time. */
  #refresh(): Promise<void> {
    return this.#refreshes.run(async () => {
      try {
        await this.#diffWithReplica();
      } catch (err) {
        // Closing, most likely: the next refresh (or the next client) sees the state again.
        this.#logger.warn({ err }, 'reading the local state for the item view failed');
      }
    });
  }

  async #diffWithReplica(): Promise<void> {
    const state = await this.client.stateMachineState(null, false);
    const hidden = new Set(this.client.localDismissals().map(toHex));
    const live = state.items.filter((e) => e.md !== undefined && !hidden.has(toHex(e.md.msgID)));
    const creations = await this.#creationsOf(
      live.filter((e) => !this.#items.has(toHex(e.md!.msgID))),
    );
    const previous = this.#items;
    const next = new Map<string, GregorItem>();
    const added: GregorItem[] = [];
    for (const entry of live) {
      const hex = toHex(entry.md!.msgID);
      const known = previous.get(hex);
      const item = known ?? itemView(entry, creations.get(hex));
      if (item === undefined) continue;
      next.set(hex, item);
      if (known === undefined) added.push(item);
    }
    const gone = [...previous.keys()].filter((hex) => !next.has(hex));
    this.#items = next;
    for (const item of added) {
      this.#events.emit('item', item);
      this.#feed.push({ type: 'item', item });
    }
    if (gone.length > 0) this.#emitDismiss(gone);
  }

  /**
   * The creations of the new entries `fresh`, as this device's log has them (with reminder times
   * and offset expiries, which a state entry lacks). New items are usually the latest, so only
   * the tail of the log from the oldest of them is read.
   */
  async #creationsOf(fresh: ItemAndMetadata[]): Promise<Map<string, Item>> {
    const out = new Map<string, Item>();
    if (fresh.length === 0) return out;
    const since = fresh.reduce((min, e) => Math.min(min, e.md!.ctime), Number.POSITIVE_INFINITY);
    for (const ibm of await this.client.inBandMessagesSince(since, false)) {
      const update = ibm.stateUpdate;
      if (update?.creation !== undefined) out.set(toHex(update.md.msgID), update.creation);
    }
    return out;
  }

  #emitDismiss(ids: readonly string[]): void {
    this.#events.emit('dismiss', ids);
    this.#feed.push({ type: 'dismiss', ids });
  }
}
