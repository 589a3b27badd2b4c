/**
 * Counts the client calls being served, so close() can let them answer before the connections go
 * (finish in-flight work, then close). A counter, not a set: no per-call objects.
 */

/** Calls in progress, with a way to wait until there are none. */
export class CallTracker {
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  /** Calls in progress. */
  get running(): number {
    return this.#running;
  }

  /** Count `call` while it runs; returns it unchanged. */
  track<T>(call: Promise<T>): Promise<T> {
    this.#running++;
    return call.finally(() => {
      this.#running--;
      if (this.#running > 0) return;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    });
  }

  /**
   * Resolve once no call is in progress, one macrotask later, so that the answers of the last
   * calls (written by the rpc layer right after they settle) are on their sockets.
   */
  async whenIdle(): Promise<void> {
    if (this.#running > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
