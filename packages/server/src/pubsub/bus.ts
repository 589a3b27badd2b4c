/**
 * The Bus: how gregord instances hand each other the messages of a user (docs/pubsub.md). After a
 * message is stored, the server publishes its already encoded bytes for the message's uid; every
 * other instance with a local connection of that user is subscribed to the uid and delivers the
 * bytes to its connections.
 *
 * The bus moves opaque bytes. It never decodes a gregor message, so it depends on no protocol code.
 */

/**
 * Receives the bytes another instance published for a uid. Called synchronously, in publication
 * order per uid. The payload is shared by every local subscriber of the uid: do not mutate it.
 * A throw is caught, counted in `stats().handlerErrors` and logged; it never reaches the bus.
 */
export type BusHandler = (payload: Uint8Array, uid: Uint8Array) => void;

/**
 * Answers a cluster query (`gather`) from another instance, e.g. for `describeConnectedUsers`
 * (its cluster-wide view). A rejection is logged and the asker gets no
 * answer from this instance.
 */
export type GatherHandler = (request: Uint8Array) => Promise<Uint8Array>;

/**
 * Receives what another instance announced to the whole cluster (a session revocation, for
 * gregord). Called synchronously, in announcement order. A throw is caught, counted in
 * `stats().handlerErrors` and logged.
 */
export type AnnouncementHandler = (payload: Uint8Array) => void;

/**
 * Called after the bus lost subscriptions, got them back and resubscribed every live uid:
 * deliveries to `uids` may have been missed, or to every uid when `uids` is undefined (one Redis
 * server lost, or another instance's publications lost). On a Redis Cluster, a shard that failed
 * over names only the uids it carries.
 */
export type ResyncHandler = (uids?: readonly Uint8Array[]) => void;

/** One local subscription to a uid. */
export interface Subscription {
  /** The uid subscribed to. */
  readonly uid: Uint8Array;
  /**
   * Stop delivery to this subscription at once. When it was the last local subscriber of the uid,
   * the shared remote subscription is dropped too. Idempotent; never rejects.
   */
  unsubscribe(): Promise<void>;
}

/** Options of one publish: like every wait, it takes a signal and a timeout. */
export interface PublishOptions {
  signal?: AbortSignal;
  /** Give up after this long; the default is the bus's `publishTimeoutMs`. */
  timeoutMs?: number;
}

/** Options of one cluster query. */
export interface GatherOptions {
  /** How long to wait for the other instances' answers, in ms; what arrived by then is returned. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Running counters of a bus, for logs and metrics. */
export interface BusStats {
  /** Publications accepted by the transport. */
  readonly published: number;
  /** Publications that rejected with GREGOR_ERR_BUS_FAILED. */
  readonly publishFailures: number;
  /** Payloads handed to local subscribers (one per handler call). */
  readonly delivered: number;
  /** Announcements of other instances received. */
  readonly announcements: number;
  /** Own publications received back and dropped. */
  readonly droppedOwn: number;
  /** Envelopes that were not ours to read (bad version, kind or length) and were dropped. */
  readonly malformed: number;
  /** Subscriber, resync or gather handlers that threw or rejected. */
  readonly handlerErrors: number;
  /** Transport errors reported by the connection (each failed reconnect attempt counts). */
  readonly transportErrors: number;
  /** Resync signals emitted. */
  readonly resyncs: number;
}

/** The health of one shard of a sharded bus. */
export interface ShardHealth {
  /** `host:port` of the shard's master. */
  readonly node: string;
  /** The slots it serves, e.g. `0-5460`. */
  readonly slots: string;
  /** Publishing to it and this instance's subscriptions on it work. */
  readonly ready: boolean;
}

/** A pino-compatible logger subset. */
export interface BusLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Moves the encoded messages of a uid between gregord instances.
 *
 * An instance never receives its own publications: the server has already broadcast them locally.
 */
export interface Bus {
  /** This instance's id (32 hex digits), carried in every envelope it sends. */
  readonly instanceId: string;
  /** True while publications and subscriptions work (for /readyz). */
  readonly isReady: boolean;
  /**
   * On a sharded transport (a Redis Cluster), the health of each shard, so /readyz can name the
   * one that is down; absent or undefined otherwise.
   */
  shards?(): readonly ShardHealth[] | undefined;
  /**
   * Send `payload` to the subscribers of `uid` on every other instance. The bytes are not copied
   * on the in-process bus: do not mutate them afterwards.
   * Rejects with GREGOR_ERR_BUS_FAILED when the transport is down, full or too slow, and with
   * GREGOR_ERR_CLOSED after close().
   */
  publish(uid: Uint8Array, payload: Uint8Array, opts?: PublishOptions): Promise<void>;
  /**
   * Deliver what other instances publish for `uid` to `handler` until unsubscribed. Local
   * subscribers of one uid share one remote subscription, reference-counted. Resolves once the
   * remote subscription is active, or, while the transport is down, once it is registered: the bus
   * subscribes it on reconnect and then emits resync.
   */
  subscribe(uid: Uint8Array, handler: BusHandler): Promise<Subscription>;
  /** Register a resync handler; returns a function that removes it. */
  onResync(handler: ResyncHandler): () => void;
  /**
   * Send `payload` to every other live instance, whatever users it serves (not to this one).
   * Delivery is best effort, as for `publish`: an instance that is disconnected at that moment
   * misses it (it gets a resync once back). Rejects with GREGOR_ERR_BUS_FAILED when the transport
   * is down, full or too slow, and with GREGOR_ERR_CLOSED after close().
   */
  announce(payload: Uint8Array, opts?: PublishOptions): Promise<void>;
  /** Add a handler of the other instances' announcements; returns a function that removes it. */
  onAnnouncement(handler: AnnouncementHandler): () => void;
  /**
   * Ask every other live instance; resolve with the answers that arrived within `timeoutMs`
   * (early, once every instance that got the request has replied).
   */
  gather(request: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]>;
  /** Set this instance's answerer for `gather` (replacing any earlier one); returns a remover. */
  onGather(handler: GatherHandler): () => void;
  /** A snapshot of the counters. */
  stats(): BusStats;
  /** Drop every subscription and the connection. Idempotent. */
  close(): Promise<void>;
}
