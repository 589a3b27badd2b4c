/**
 * Promise helpers: chains that run async jobs one at a time, in order, and a deferred. The client's local copy is changed
 * by a sync, by broadcasts and by fresh syncs; running those one at a time keeps a broadcast from
 * landing between a fresh sync's clear and its InitState.
 */

/** Runs jobs one at a time, in the order they were queued. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queue `job`; resolves or rejects with its outcome. A failure does not stop later jobs. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Like Serial, but a job asked for while another request is still waiting to start shares that
 * request's run: a burst of saves or outbox pokes costs one pass, and the pass that runs sees
 * everything asked for before it started.
 */
export class Coalescing<T = void> {
  readonly #serial = new Serial();
  #waiting: Promise<T> | undefined;

  /** Queue `job` unless a queued run has not started yet; resolves with that run's outcome. */
  run(job: () => Promise<T>): Promise<T> {
    if (this.#waiting !== undefined) return this.#waiting;
    const run = this.#serial.run(() => {
      this.#waiting = undefined;
      return job();
    });
    this.#waiting = run;
    return run;
  }
}

/** A promise with its settle functions (Promise.withResolvers arrives only in Node 22). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (err: unknown) => void;
}

/** A new Deferred. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
