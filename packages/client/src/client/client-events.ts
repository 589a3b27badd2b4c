/**
 * The client's typed events. `on` returns the function that removes the listener.
 * A listener that throws is logged and does not stop the others, nor the broadcast or sync that
 * emitted the event.
 */
import type { GregorError } from '../errors.js';
import type { Message, State } from '../protocol/index.js';
import type { ClientLogger } from './client-logger.js';
import type { ClientStatus } from './status-stream.js';
import type { SyncOutcome } from './syncer.js';

/** Event name → listener arguments. */
export type ClientEventMap = {
  /** A broadcast in-band message was applied to the local state, or an out-of-band one arrived. */
  message: [m: Message];
  /** The local state changed (broadcast, sync, fresh sync or restore); the new State(user, device, nil). */
  state: [state: State];
  /** A sync finished: the messages to replay to handlers, and whether it was a fresh sync. */
  sync: [outcome: SyncOutcome];
  /** The server asked for a resync (its pub/sub lost messages); a sync follows at once. */
  resync: [];
  /** The server refused an outbox message for good (validation, size or quota); it was dropped. */
  rejected: [m: Message, err: GregorError];
  /** The server has an outbox message (it answered consumeMessage, or already had the item). */
  acknowledged: [m: Message];
  /** The connection status changed (the same values as `status()`, without a buffer). */
  status: [status: ClientStatus];
};

/** The names of the client's events. */
export type ClientEventName = keyof ClientEventMap;

type Listener<Args extends unknown[]> = (...args: Args) => void;

/**
 * Listeners by event; emit calls them in the order they were added. Generic over the event map so
 * that the high-level API (gregor.ts) shares it with GregorClient.
 */
export class ClientEvents<M extends { [K in keyof M]: unknown[] } = ClientEventMap> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();
  readonly #logger: ClientLogger;

  constructor(logger: ClientLogger) {
    this.#logger = logger;
  }

  /** Call `listener` on every `event`; returns the function that removes it. */
  on<E extends keyof M>(event: E, listener: Listener<M[E]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Remove a listener added with `on`. */
  off<E extends keyof M>(event: E, listener: Listener<M[E]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Call the listeners of `event`. */
  emit<E extends keyof M>(event: E, ...args: M[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[E]>)(...args);
      } catch (err) {
        this.#logger.error({ err, event }, 'a client event listener threw');
      }
    }
  }

  /** Remove every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
