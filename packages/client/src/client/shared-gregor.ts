/**
 * One connection per browser for a user, shared by all the tabs of the origin
 * (docs/browser-tabs.md). Each tab gets a SharedGregor with the same surface as a single-tab
 * Gregor. The tab that wins the election (tab-election.ts) runs the real Gregor and serves the
 * others over the tab channel (tab-channel.ts): their writes, the snapshot of the items a new tab
 * starts from, and the events it broadcasts. When that tab goes, the next one in line connects and
 * the others send it whatever it had left unanswered. Writes cross the channel as finished
 * gregor.1 messages whose msgID the writing tab chose, so a write sent again to the next holder is
 * the same write, and the server keeps it once. Browser-only.
 */
import { type GregorError, gregorError } from '../errors.js';
import {
  type Message,
  parseDeviceId,
  parseMsgId,
  parseUid,
  toHex,
  type UID,
} from '../protocol/index.js';
import { systemClock } from '../state/index.js';
import { silentClientLogger } from './client-logger.js';
import { type ConnectOptions, type ConnectorFactory, connectWith } from './connect.js';
import type { Gregor, GregorStatus } from './gregor.js';
import { GregorConnection } from './gregor-connection.js';
import type { IdInput } from './item-messages.js';
import {
  type BodyInput,
  encodeBody,
  GregorItem,
  type GregorItemFields,
  OutOfBandView,
} from './item-view.js';
import { type Deferred, deferred } from './serial.js';
import {
  deserializeError,
  type SerializedError,
  serializeError,
  TabChannel,
} from './tab-channel.js';
import { TabElection } from './tab-election.js';
import { globalTimers, type Timers } from './timers.js';
import type { WriteOptions } from './write-acks.js';

/** The options of the browser's `connect`. */
export interface BrowserConnectOptions extends ConnectOptions {
  /**
   * Share one connection among this browser's tabs of the origin (Web Locks elect the tab that
   * holds it; the others go through it). `false`: this tab connects on its own. Ignored, as
   * false, where Web Locks or BroadcastChannel are missing. @default true
   */
  shareTabs?: boolean;
}

/** A status as it crosses the channel: its error serialized. */
type StatusOnTheWire =
  | { type: 'connecting'; attempt: number }
  | { type: 'online' }
  | { type: 'offline'; error: SerializedError | undefined; retryInMs?: number }
  | { type: 'closed'; error: SerializedError | undefined };

/** A snapshot of the holder: what a tab starts from, and what each sync broadcasts. */
interface Snapshot {
  items: GregorItemFields[];
  status: StatusOnTheWire;
  /** False until the holder's first sync: the items may still be those of the storage only. */
  isSynced: boolean;
  isFresh: boolean;
}

/** The requests the holder serves. */
type TabRequest =
  | { op: 'write'; args: { message: Message; queued: boolean } }
  | { op: 'oob'; args: { system: string; body: Uint8Array } }
  | { op: 'dismissLocally'; args: { id: string } }
  | { op: 'snapshot'; args: null };

function fieldsOf(item: GregorItem): GregorItemFields {
  const { id, category, body, ctime, expireAt, remindAt, deviceId } = item;
  return { id, category, body, ctime, expireAt, remindAt, deviceId };
}

function statusToWire(status: GregorStatus): StatusOnTheWire {
  if (status.type !== 'offline' && status.type !== 'closed') return status;
  const error = status.error === undefined ? undefined : serializeError(status.error);
  return { ...status, error };
}

function statusFromWire(status: StatusOnTheWire): GregorStatus {
  if (status.type !== 'offline' && status.type !== 'closed') return status;
  const error = status.error === undefined ? undefined : deserializeError(status.error);
  return { ...status, error };
}

/**
 * True when this runtime has what tab sharing needs: Web Locks and BroadcastChannel. (Here rather
 * than beside TabElection, whose declarations name DOM-only types that Node programs lack.)
 */
export function canShareTabs(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    navigator.locks !== undefined &&
    typeof BroadcastChannel === 'function'
  );
}

/** The name of the lock and of the channel of `uid`'s connection to `url`. */
export function tabSharingName(url: string, uid: UID, options: BrowserConnectOptions): string {
  const device = options.device === undefined ? '' : `:${toHex(parseDeviceId(options.device))}`;
  return `gregor-tabs:${url}:${toHex(uid)}${device}`;
}

/** One tab's view of the user's connection, shared with the browser's other tabs. */
export class SharedGregor extends GregorConnection {
  readonly #url: string;
  readonly #options: BrowserConnectOptions;
  readonly #connectorFor: ConnectorFactory;
  readonly #channel: TabChannel;
  readonly #election: TabElection;
  readonly #timers: Timers;
  readonly #ready: Deferred<void> = deferred<void>();
  #status: GregorStatus = { type: 'connecting', attempt: 0 };
  /** The real connection, while this tab holds it. */
  #holder: Gregor | undefined;
  #hasHolderSynced = false;
  #isClosed = false;

  constructor(url: string, options: BrowserConnectOptions, connectorFor: ConnectorFactory) {
    super(parseUid(options.uid), {
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentClientLogger,
      ...(options.changeBufferSize === undefined
        ? {}
        : { changeBufferSize: options.changeBufferSize }),
    });
    this.#url = url;
    this.#options = options;
    this.#connectorFor = connectorFor;
    this.#timers = options.timers ?? globalTimers;
    const name = tabSharingName(url, this.userId, options);
    this.#channel = new TabChannel(name);
    this.#election = new TabElection(name);
    this.#ready.promise.catch(() => undefined);
  }

  /** True while this tab holds the connection for the others. */
  get isHolder(): boolean {
    return this.#holder !== undefined;
  }

  /** The connection status, as the holder reports it. */
  override get status(): GregorStatus {
    return this.#status;
  }

  /**
   * Join the election and ask for the holder's items; resolves once this tab has the items of a
   * synced holder (or, with `waitForSync: false`, at once). Rejects when this tab became the
   * holder and its first connection failed for good, or on `signal`.
   */
  async start(): Promise<void> {
    this.#channel.onEvent((name, payload) => this.#onBroadcast(name, payload));
    this.#election.start(() => void this.#hold());
    this.#channel.request('snapshot', null).then(
      (snapshot) => this.#applySnapshot(snapshot as Snapshot),
      () => undefined, // closed first
    );
    if (this.#options.waitForSync === false) return;
    const { signal } = this.#options;
    if (signal === undefined) return this.#ready.promise;
    if (signal.aborted) throw abortedConnect(signal);
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(abortedConnect(signal)), { once: true }),
    );
    aborted.catch(() => undefined);
    return Promise.race([this.#ready.promise, aborted]);
  }

  /** Hide item `id` in every tab of this browser (this device), not on the user's others. */
  override async dismissLocally(id: IdInput): Promise<void> {
    const hex = toHex(parseMsgId(id));
    this.#applyDismiss([hex]);
    await this.#channel.request('dismissLocally', { id: hex });
  }

  /** Send an out-of-band message (see Gregor.sendOutOfBand), through the holder. */
  override async sendOutOfBand(system: string, body: BodyInput): Promise<void> {
    await this.#channel.request('oob', { system, body: encodeBody(body) });
  }

  /**
   * Leave: a holder closes its connection and lets the next tab take over (the other tabs send it
   * what this one left unanswered); this tab's own waiting writes reject with GREGOR_ERR_CLOSED.
   * Idempotent.
   */
  override close(): Promise<void> {
    return this.#leave(undefined);
  }

  /** Close, reporting `error` as the reason (the holder's connection failed for good). */
  async #leave(error: GregorError | undefined): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#channel.stopServing();
    const holder = this.#holder;
    this.#holder = undefined;
    await holder?.close();
    await this.#election.release();
    this.#channel.close();
    this.#ready.reject(error ?? gregorError('GREGOR_ERR_CLOSED', 'closed before the first sync'));
    this.#setStatus({ type: 'closed', error });
    this.feed.end();
  }

  /**
   * A write through the holder: this tab's own Gregor, or the channel (the message, its msgID
   * already chosen, is sent again to each new holder until one answers).
   */
  override write(m: Message, options: WriteOptions = {}): Promise<void> {
    if (this.#holder !== undefined) return this.#holder.write(m, options);
    const { signal, cleanup } = this.#giveUpSignal(options);
    const queued = options.queued === true;
    return this.#channel
      .request('write', { message: m, queued }, signal)
      .then(() => undefined)
      .finally(cleanup);
  }

  /** An AbortSignal for the caller's signal or timeout, with the GregorError to reject with. */
  #giveUpSignal(options: WriteOptions): { signal?: AbortSignal; cleanup: () => void } {
    const { signal, timeoutMs } = options;
    if (signal === undefined && timeoutMs === undefined) return { cleanup: () => undefined };
    const giveUp = new AbortController();
    const fate = 'the holder tab may still send it';
    const onAbort = (): void =>
      giveUp.abort(
        gregorError('GREGOR_ERR_ABORTED', `write aborted; ${fate}`, { cause: signal?.reason }),
      );
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : this.#timers.setTimeout(
            () =>
              giveUp.abort(
                gregorError(
                  'GREGOR_ERR_TIMEOUT',
                  `write not acknowledged within ${timeoutMs} ms; ${fate}`,
                ),
              ),
            timeoutMs,
          );
    return {
      signal: giveUp.signal,
      cleanup: () => {
        this.#timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /** This tab won the election: connect, follow the connection, and serve the other tabs. */
  async #hold(): Promise<void> {
    if (this.#isClosed) return;
    let g: Gregor;
    try {
      g = await connectWith(
        this.#url,
        { ...this.#options, waitForSync: false },
        this.#connectorFor,
      );
    } catch (err) {
      await this.#leave(err as GregorError);
      return;
    }
    if (this.#isClosed) {
      await g.close();
      return;
    }
    this.#holder = g;
    g.on('item', (item) => {
      this.#applyItem(item);
      this.#channel.broadcast('item', fieldsOf(item));
    });
    g.on('dismiss', (ids) => {
      this.#applyDismiss(ids);
      this.#channel.broadcast('dismiss', ids);
    });
    g.on('oob', (message) => {
      this.reportOob(message);
      this.#channel.broadcast('oob', { system: message.system, body: message.body });
    });
    g.on('rejected', (id, err) => {
      this.events.emit('rejected', id, err);
      this.#channel.broadcast('rejected', { id, error: serializeError(err) });
    });
    g.on('synced', ({ isFresh }) => {
      this.#hasHolderSynced = true;
      const snapshot = this.#snapshotOf(g, isFresh);
      this.#applySnapshot(snapshot);
      this.#channel.broadcast('synced', snapshot);
    });
    g.on('status', (status) => {
      if (status.type === 'closed') {
        // Closed by itself (reconnecting gave up): leave, so that another tab may try.
        if (this.#holder === g) void this.#leave(status.error);
        return;
      }
      this.#setStatus(status);
      this.#channel.broadcast('status', statusToWire(status));
    });
    this.#setStatus(g.status);
    this.#channel.serve((op, args) => this.#serve(g, { op, args } as TabRequest));
  }

  #serve(g: Gregor, request: TabRequest): Promise<unknown> {
    switch (request.op) {
      case 'write':
        return g.write(request.args.message, { queued: request.args.queued });
      case 'oob':
        return g.sendOutOfBand(request.args.system, request.args.body);
      case 'dismissLocally':
        return g.dismissLocally(request.args.id);
      case 'snapshot':
        return Promise.resolve(this.#snapshotOf(g, false));
    }
  }

  #snapshotOf(g: Gregor, isFresh: boolean): Snapshot {
    return {
      items: g.items().map(fieldsOf),
      status: statusToWire(g.status),
      isSynced: this.#hasHolderSynced,
      isFresh,
    };
  }

  #onBroadcast(name: string, payload: unknown): void {
    if (this.#holder !== undefined) return; // a holder that just left, still talking
    switch (name) {
      case 'item':
        this.#applyItem(new GregorItem(payload as GregorItemFields));
        return;
      case 'dismiss':
        this.#applyDismiss(payload as string[]);
        return;
      case 'oob': {
        const { system, body } = payload as { system: string; body: Uint8Array };
        this.reportOob(new OutOfBandView(system, body));
        return;
      }
      case 'rejected': {
        const { id, error } = payload as { id: string; error: SerializedError };
        this.events.emit('rejected', id, deserializeError(error));
        return;
      }
      case 'status':
        this.#setStatus(statusFromWire(payload as StatusOnTheWire));
        return;
      case 'synced':
        this.#applySnapshot(payload as Snapshot);
        return;
    }
  }

  /** Make the items those of `snapshot`, reporting what appeared and what went. */
  #applySnapshot(snapshot: Snapshot): void {
    if (this.#isClosed) return;
    const live = new Set(snapshot.items.map((f) => f.id));
    const gone = [...this.live.keys()].filter((id) => !live.has(id));
    if (gone.length > 0) this.#applyDismiss(gone);
    for (const fields of snapshot.items) {
      if (!this.live.has(fields.id)) this.#applyItem(new GregorItem(fields));
    }
    if (this.#holder === undefined) this.#setStatus(statusFromWire(snapshot.status));
    if (!snapshot.isSynced) return;
    this.events.emit('synced', { isFresh: snapshot.isFresh });
    this.#ready.resolve();
  }

  /** Add `item` unless known; items stay in state order (ctime, then ID), as the holder's. */
  #applyItem(item: GregorItem): void {
    if (this.live.has(item.id)) return;
    const last = [...this.live.values()].at(-1);
    this.live.set(item.id, item);
    if (last !== undefined && stateOrder(item, last) < 0) {
      this.live = new Map([...this.live.entries()].sort(([, a], [, b]) => stateOrder(a, b)));
    }
    this.reportItem(item);
  }

  #applyDismiss(ids: readonly string[]): void {
    const gone = ids.filter((id) => this.live.delete(id));
    if (gone.length > 0) this.reportDismiss(gone);
  }

  #setStatus(status: GregorStatus): void {
    this.#status = status;
    this.events.emit('status', status);
  }
}

/** The order of items in a state: by ctime, then by ID. */
function stateOrder(a: GregorItem, b: GregorItem): number {
  return a.ctime.getTime() - b.ctime.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function abortedConnect(signal: AbortSignal): GregorError {
  return gregorError('GREGOR_ERR_ABORTED', 'connect aborted', { cause: signal.reason });
}

/**
 * Connect this tab to the user's connection shared by the browser's tabs (see SharedGregor);
 * rejects like a single-tab `connect`, closing this tab's share.
 */
export async function connectSharedTabs(
  url: string,
  options: BrowserConnectOptions,
  connectorFor: ConnectorFactory,
): Promise<SharedGregor> {
  const shared = new SharedGregor(url, options, connectorFor);
  try {
    await shared.start();
  } catch (err) {
    await shared.close();
    throw err;
  }
  return shared;
}
