/**
 * Which tab of a browser holds the connection: the one holding a Web Lock named after the user and
 * the server. Every tab asks for the lock and keeps asking for as long as it lives; the browser
 * grants it to one tab at a time and, when that tab closes (or crashes, or navigates away), to the
 * next one in line. That grant is the whole handover: no heartbeat, no timeout guessing, and never
 * two holders. Browser-only (needs `navigator.locks`).
 */
import { type Deferred, deferred } from './serial.js';

/** Queues this tab for the lock `name`; `onHolder` runs when the browser grants it. */
export class TabElection {
  readonly #name: string;
  readonly #locks: LockManager;
  readonly #leave = new AbortController();
  /** Resolved to let go of the lock once held. */
  readonly #release: Deferred<void> = deferred<void>();
  /** Settles when the lock request ends: released, left the queue, or refused. */
  #request: Promise<void> = Promise.resolve();
  #isHolder = false;
  #isStarted = false;

  constructor(name: string, locks: LockManager = navigator.locks) {
    this.#name = name;
    this.#locks = locks;
  }

  /** True once this tab holds the lock (and until `release`). */
  get isHolder(): boolean {
    return this.#isHolder;
  }

  /**
   * Join the queue for the lock. `onHolder` is called once, when this tab gets it; the lock is
   * then held until `release()` or the end of the tab.
   */
  start(onHolder: () => void): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    this.#request = this.#locks
      .request(this.#name, { signal: this.#leave.signal }, async () => {
        if (this.#leave.signal.aborted) return;
        this.#isHolder = true;
        onHolder();
        await this.#release.promise;
      })
      .then(
        () => undefined,
        // AbortError: left the queue before the grant, which is what `release` asked for.
        () => undefined,
      );
  }

  /** Let go of the lock (the next tab in line gets it) or leave the queue. Idempotent. */
  async release(): Promise<void> {
    this.#isHolder = false;
    this.#leave.abort();
    this.#release.resolve();
    await this.#request;
  }
}
