/**
 * The bus's own record of which uids have local subscribers, reference-counted. It is the source
 * of truth after a reconnect (the bus resubscribes from its own registry), independent of what the
 * transport remembers.
 */
import type { BusHandler, Subscription } from './bus.js';

/** The local subscribers of one uid, sharing one remote subscription. */
export interface UidEntry {
  /** A private copy of the uid, handed to every handler. */
  readonly uid: Uint8Array;
  readonly subscriptions: Set<LocalSubscription>;
  /** Settles when the remote subscription is active (or registered while offline). */
  ready: Promise<void>;
}

/** Called when a subscription is dropped; `isLast` says the uid has no local subscriber left. */
export type ReleaseFn = (key: string, isLast: boolean) => Promise<void>;

/** One local subscription; `unsubscribe` is idempotent. */
export class LocalSubscription implements Subscription {
  readonly uid: Uint8Array;
  readonly handler: BusHandler;
  readonly #registry: SubscriptionRegistry;
  readonly #key: string;
  #released: Promise<void> | undefined;

  constructor(registry: SubscriptionRegistry, key: string, uid: Uint8Array, handler: BusHandler) {
    this.#registry = registry;
    this.#key = key;
    this.uid = uid;
    this.handler = handler;
  }

  unsubscribe(): Promise<void> {
    this.#released ??= this.#registry.remove(this.#key, this);
    return this.#released;
  }
}

const RESOLVED = Promise.resolve();

/** uid key → local subscribers. Keys are chosen by the bus (a channel name, a hex uid). */
export class SubscriptionRegistry {
  readonly #entries = new Map<string, UidEntry>();
  readonly #release: ReleaseFn;

  /** `release` runs after a subscription is removed, to drop the remote side when it was last. */
  constructor(release: ReleaseFn) {
    this.#release = release;
  }

  /** Number of uids with at least one local subscriber. */
  get size(): number {
    return this.#entries.size;
  }

  /** The keys of every live uid. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** The entry of `key`, if it has subscribers. */
  get(key: string): UidEntry | undefined {
    return this.#entries.get(key);
  }

  /** Add a subscriber; `isFirst` tells the bus to create the remote subscription. */
  add(
    key: string,
    uid: Uint8Array,
    handler: BusHandler,
  ): { subscription: LocalSubscription; entry: UidEntry; isFirst: boolean } {
    let entry = this.#entries.get(key);
    const isFirst = entry === undefined;
    if (entry === undefined) {
      entry = { uid: uid.slice(), subscriptions: new Set(), ready: RESOLVED };
      this.#entries.set(key, entry);
    }
    const subscription = new LocalSubscription(this, key, entry.uid, handler);
    entry.subscriptions.add(subscription);
    return { subscription, entry, isFirst };
  }

  /** Remove a subscriber (called by LocalSubscription.unsubscribe). */
  remove(key: string, subscription: LocalSubscription): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined || !entry.subscriptions.delete(subscription)) return RESOLVED;
    const isLast = entry.subscriptions.size === 0;
    if (isLast) this.#entries.delete(key);
    return this.#release(key, isLast);
  }

  /**
   * Hand `payload` to every subscriber of `key`, in subscription order. A throwing handler is
   * reported to `onError` and does not stop the others. Returns how many handlers ran.
   */
  deliver(key: string, payload: Uint8Array, onError: (err: unknown) => void): number {
    const entry = this.#entries.get(key);
    if (entry === undefined) return 0;
    let count = 0;
    for (const subscription of entry.subscriptions) {
      count++;
      try {
        subscription.handler(payload, entry.uid);
      } catch (err) {
        onError(err);
      }
    }
    return count;
  }

  /** Forget every subscriber without calling `release` (the bus is closing). */
  clear(): void {
    this.#entries.clear();
  }
}
