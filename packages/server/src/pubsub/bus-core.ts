/**
 * What the in-process and the Redis bus share, composed into both rather than inherited
 * (an inheritance chain hides which layer does what): the instance id, the subscription registry,
 * pending cluster queries, resync and gather handlers, counters, the logger and the closed state.
 */
import { gregorError } from 'gregor-client/errors';
import type {
  AnnouncementHandler,
  BusHandler,
  BusLogger,
  BusStats,
  GatherHandler,
  ResyncHandler,
  Subscription,
} from './bus.js';
import { newInstanceId } from './envelope.js';
import { GatherTracker } from './gather-tracker.js';
import { type ReleaseFn, SubscriptionRegistry } from './subscription-registry.js';

/** The longest uid the bus accepts (gregor uids are 16 bytes; this bounds channel names). */
export const MAX_UID_BYTES = 64;

/** Writes bus warnings to stderr; gregord passes its pino logger instead. */
export const consoleBusLogger: BusLogger = {
  warn: (obj, msg) => console.warn(`[gregor bus] ${msg}`, obj),
  error: (obj, msg) => console.error(`[gregor bus] ${msg}`, obj),
};

type MutableStats = { -readonly [K in keyof BusStats]: BusStats[K] };

/** Shared state and bookkeeping of one bus instance. */
export class BusCore {
  /** This instance's id as bytes (sent in envelopes) and as hex (for channel names). */
  readonly origin: Buffer = newInstanceId();
  readonly instanceId: string = this.origin.toString('hex');
  readonly registry: SubscriptionRegistry;
  readonly gathers = new GatherTracker();
  readonly logger: BusLogger;
  readonly counters: MutableStats = {
    published: 0,
    publishFailures: 0,
    delivered: 0,
    announcements: 0,
    droppedOwn: 0,
    malformed: 0,
    handlerErrors: 0,
    transportErrors: 0,
    resyncs: 0,
  };
  readonly #resyncHandlers = new Set<ResyncHandler>();
  readonly #announcementHandlers = new Set<AnnouncementHandler>();
  #gatherHandler: GatherHandler | undefined;
  #isClosed = false;
  readonly #keyOf: (uid: Uint8Array) => string;
  readonly #onHandlerError = (err: unknown): void => this.handlerFailed(err, 'subscriber handler');

  /**
   * @param keyOf names the registry key (a channel, a hex uid) of a validated uid.
   * @param release drops the remote subscription when a uid's last local subscriber leaves.
   */
  constructor(logger: BusLogger, keyOf: (uid: Uint8Array) => string, release: ReleaseFn) {
    this.logger = logger;
    this.#keyOf = keyOf;
    this.registry = new SubscriptionRegistry(release);
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Throw GREGOR_ERR_CLOSED once closed. */
  assertOpen(operation: string): void {
    if (this.#isClosed) throw gregorError('GREGOR_ERR_CLOSED', `bus closed: cannot ${operation}`);
  }

  /** The registry key of `uid`; rejects a uid that is not 1 to MAX_UID_BYTES bytes. */
  keyOf(uid: Uint8Array): string {
    if (!(uid instanceof Uint8Array) || uid.length === 0 || uid.length > MAX_UID_BYTES) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', `bus: uid must be 1 to ${MAX_UID_BYTES} bytes`);
    }
    return this.#keyOf(uid);
  }

  /**
   * Register a local subscriber of `uid`; when it is the uid's first, `activate` creates the
   * remote subscription. Resolves when that is active (or registered while offline).
   */
  async subscribe(
    uid: Uint8Array,
    handler: BusHandler,
    activate: (key: string) => Promise<void>,
  ): Promise<Subscription> {
    this.assertOpen('subscribe');
    const key = this.keyOf(uid);
    if (typeof handler !== 'function') {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'bus: handler must be a function');
    }
    const { subscription, entry, isFirst } = this.registry.add(key, uid, handler);
    if (isFirst) entry.ready = activate(key);
    await entry.ready;
    return subscription;
  }

  /** Hand a received payload to the local subscribers of `key`. */
  deliver(key: string, payload: Uint8Array): void {
    this.counters.delivered += this.registry.deliver(key, payload, this.#onHandlerError);
  }

  onResync(handler: ResyncHandler): () => void {
    this.#resyncHandlers.add(handler);
    return () => this.#resyncHandlers.delete(handler);
  }

  /** Tell every resync handler that deliveries to `uids` (every uid when undefined) may have been missed. */
  emitResync(uids?: readonly Uint8Array[]): void {
    if (this.#isClosed) return;
    this.counters.resyncs++;
    for (const handler of this.#resyncHandlers) {
      try {
        handler(uids);
      } catch (err) {
        this.handlerFailed(err, 'resync handler');
      }
    }
  }

  onAnnouncement(handler: AnnouncementHandler): () => void {
    // A wrapper per registration, so the same function added twice is removed once per remover.
    const entry: AnnouncementHandler = (payload) => handler(payload);
    this.#announcementHandlers.add(entry);
    return () => this.#announcementHandlers.delete(entry);
  }

  /** Hand another instance's announcement to every handler; a throw is counted and logged. */
  announced(payload: Uint8Array): void {
    if (this.#isClosed) return;
    this.counters.announcements++;
    for (const handler of [...this.#announcementHandlers]) {
      try {
        handler(payload);
      } catch (err) {
        this.handlerFailed(err, 'announcement handler');
      }
    }
  }

  /** Throw GREGOR_ERR_INPUT_INVALID unless `payload` is bytes. */
  assertPayload(payload: unknown): asserts payload is Uint8Array {
    if (!(payload instanceof Uint8Array)) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'bus: payload must be a Uint8Array');
    }
  }

  onGather(handler: GatherHandler): () => void {
    this.#gatherHandler = handler;
    return () => {
      if (this.#gatherHandler === handler) this.#gatherHandler = undefined;
    };
  }

  /** Run this instance's gather handler; null when there is none or it failed. Never rejects. */
  async answerGather(request: Uint8Array): Promise<Uint8Array | null> {
    const handler = this.#gatherHandler;
    if (handler === undefined || this.#isClosed) return null;
    try {
      return await handler(request);
    } catch (err) {
      this.handlerFailed(err, 'gather handler');
      return null;
    }
  }

  /** Count and log a handler failure. */
  handlerFailed(err: unknown, what: string): void {
    this.counters.handlerErrors++;
    this.logger.error({ err, instanceId: this.instanceId }, `${what} failed`);
  }

  /** Run `promise` without awaiting it; a rejection is logged, never left floating. */
  detach(promise: Promise<unknown>, what: string): void {
    promise.catch((err: unknown) => this.logger.warn({ err, instanceId: this.instanceId }, what));
  }

  stats(): BusStats {
    return { ...this.counters };
  }

  /** Mark closed: drop local subscribers and handlers, end pending queries. Returns false if already. */
  close(): boolean {
    if (this.#isClosed) return false;
    this.#isClosed = true;
    this.registry.clear();
    this.#resyncHandlers.clear();
    this.#announcementHandlers.clear();
    this.#gatherHandler = undefined;
    this.gathers.failAll(gregorError('GREGOR_ERR_CLOSED', 'bus closed'));
    return true;
  }
}
