/**
 * The client's connection state as a discriminated union, delivered to any number of async
 * iterators. Each iterator has a bounded buffer: a reader that falls behind loses the oldest
 * entries, never the newest, and never makes memory grow.
 */
import type { GregorError } from '../errors.js';

/** Where a client is. */
export type ClientStatus =
  /** Opening a connection; `attempt` counts the failures since the last success (0 at first). */
  | { readonly type: 'connecting'; readonly attempt: number }
  /** Connected, logged in, synced and with the outbox sent. */
  | { readonly type: 'connected' }
  /** The connection dropped; a reconnect follows unless the policy says otherwise. */
  | { readonly type: 'disconnected'; readonly error: GregorError | undefined }
  /** Waiting `delayMs` before attempt `attempt` (1-based), after `error`. */
  | {
      readonly type: 'reconnecting';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: GregorError;
    }
  /** Closed for good: by `close()` (`error` undefined) or because the policy gave up. */
  | { readonly type: 'closed'; readonly error: GregorError | undefined };

/** The type names of ClientStatus. */
export type ClientStatusType = ClientStatus['type'];

/** How many statuses an iterator holds before it drops the oldest. */
export const DEFAULT_STATUS_BUFFER = 32;

interface Subscriber<T> {
  readonly queue: T[];
  wake: (() => void) | undefined;
  isEnded: boolean;
}

/** A current value, and the changes to it for every open iterator. */
export class StatusStream<T> {
  readonly #bufferSize: number;
  readonly #subscribers = new Set<Subscriber<T>>();
  #current: T;
  #isEnded = false;

  constructor(initial: T, bufferSize = DEFAULT_STATUS_BUFFER) {
    this.#current = initial;
    this.#bufferSize = bufferSize;
  }

  /** The latest value. */
  get current(): T {
    return this.#current;
  }

  /** True once the final value was pushed. */
  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** Open iterators. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Publish `value`; `isFinal` ends every iterator after it. Ignored once ended. */
  push(value: T, isFinal = false): void {
    if (this.#isEnded) return;
    this.#current = value;
    this.#isEnded = isFinal;
    for (const sub of this.#subscribers) {
      if (sub.queue.length >= this.#bufferSize) sub.queue.shift();
      sub.queue.push(value);
      sub.isEnded = isFinal;
      this.#wake(sub);
    }
  }

  /** An iterator that yields the current value, then every later one, until the final one. */
  iterate(): AsyncIterableIterator<T> {
    const sub: Subscriber<T> = { queue: [this.#current], wake: undefined, isEnded: this.#isEnded };
    if (!sub.isEnded) this.#subscribers.add(sub);
    const finish = (): IteratorResult<T> => {
      sub.isEnded = true;
      sub.queue.length = 0;
      this.#subscribers.delete(sub);
      this.#wake(sub);
      return { value: undefined, done: true };
    };
    const next = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        const value = sub.queue.shift();
        if (value !== undefined) return { value, done: false };
        if (sub.isEnded) return finish();
        await new Promise<void>((resolve) => {
          sub.wake = resolve;
        });
      }
    };
    const iterator: AsyncIterableIterator<T> = {
      next,
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #wake(sub: Subscriber<T>): void {
    const wake = sub.wake;
    sub.wake = undefined;
    wake?.();
  }
}
