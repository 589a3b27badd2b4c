/**
 * The high-level client API (docs/client.md): one user's live items, acknowledged writes,
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
import type { Overflow } from './change-feed.js';
import type { ClientLogger } from './client-logger.js';
import type { GregorClient } from './gregor-client.js';
import { GregorConnection, type GregorConnectionOptions } from './gregor-connection.js';
import { type IdInput, outOfBandMessage } from './item-messages.js';
import { type BodyInput, type GregorItem, itemView, OutOfBandView } from './item-view.js';
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
export interface GregorOptions extends GregorConnectionOptions {
  /** The timers of write timeouts. */
  timers: Timers;
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

/** One user's notification state on this device, kept in sync with gregord. */
export class Gregor extends GregorConnection {
  /** The low-level client underneath, for the record API (GregorClient). */
  readonly client: GregorClient;
  readonly #acks: WriteAcks;
  readonly #logger: ClientLogger;
  readonly #refreshes = new Serial();

  /** Wrap `client` (not started yet: `connect` starts it after this subscribed). */
  constructor(client: GregorClient, options: GregorOptions) {
    super(client.uid, options);
    this.client = client;
    this.#logger = options.logger;
    this.#acks = new WriteAcks(options.timers);
    client.on('state', () => void this.#refresh());
    client.on('sync', (outcome) => {
      void this.#refresh().then(() => this.events.emit('synced', { isFresh: outcome.isFresh }));
    });
    client.on('message', (m) => this.#onMessage(m));
    client.on('acknowledged', (m) => this.#acks.acknowledged(m));
    client.on('rejected', (m, err) => {
      this.#acks.rejected(m, err);
      const msgID = inBandMsgID(m);
      if (msgID !== undefined) this.events.emit('rejected', toHex(msgID), err);
    });
    client.on('status', (status) => {
      if (status.type === 'closed') this.#onClosed();
      this.events.emit('status', gregorStatusOf(status));
    });
  }

  /** The current connection status. */
  override get status(): GregorStatus {
    return gregorStatusOf(this.client.currentStatus);
  }

  /** Hide item `id` on this device only (saved with the storage); emits `dismiss` at once. */
  override async dismissLocally(id: IdInput): Promise<void> {
    const msgID = parseMsgId(id);
    const hex = toHex(msgID);
    const wasLive = this.live.delete(hex);
    if (wasLive) this.reportDismiss([hex]);
    await this.client.consumeLocalDismissal(msgID);
  }

  /**
   * Send an out-of-band message to the user's connected devices (this one included). It is not
   * stored nor queued: it needs a connection (GREGOR_ERR_CLOSED otherwise), and resolves once the
   * server took it.
   */
  override async sendOutOfBand(system: string, body: BodyInput): Promise<void> {
    await this.client.consumeMessage(outOfBandMessage(this.client.uid, system, body));
  }

  /** Close the connection and stop; waiting writes reject with GREGOR_ERR_CLOSED. Idempotent. */
  override close(): Promise<void> {
    return this.client.close();
  }

  /** Read the replica into the item cache (after `restore`, before the first connect). */
  refresh(): Promise<void> {
    return this.#refresh();
  }

  /** Send the prebuilt in-band message `m` as an acknowledged write (see WriteOptions). */
  override async write(m: Message, options: WriteOptions = {}): Promise<void> {
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
    this.reportOob(new OutOfBandView(oobm.system, oobm.body ?? new Uint8Array(0)));
  }

  #onClosed(): void {
    this.#acks.rejectAll(
      gregorError(
        'GREGOR_ERR_CLOSED',
        'closed before the server acknowledged the write; it stays in the outbox (saved with the storage, if any) and the next client on that storage sends it',
      ),
    );
    this.feed.end();
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
      live.filter((e) => !this.live.has(toHex(e.md!.msgID))),
    );
    const previous = this.live;
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
    this.live = next;
    for (const item of added) this.reportItem(item);
    if (gone.length > 0) this.reportDismiss(gone);
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
}
