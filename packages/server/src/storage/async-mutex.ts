/**
 * A FIFO async mutex: one holder at a time, waiters served in call order.
 *
 * SQLite needs it because better-sqlite3 is synchronous: if a second connection in this process
 * ran BEGIN IMMEDIATE while the first held the write lock across an `await`, SQLite's busy
 * handler would sleep on the event loop that the first holder needs in order to finish.
 */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  /** Run `fn` once every earlier holder has finished; resolves or rejects with its result. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const byKey = new Map<string, { mutex: AsyncMutex; users: number }>();

/**
 * The process-wide mutex for `key` (an absolute database path), shared by every engine that opens
 * the same file. Call the returned `release` once when the user is done with it.
 */
export function sharedMutex(key: string): { mutex: AsyncMutex; release: () => void } {
  let entry = byKey.get(key);
  if (entry === undefined) {
    entry = { mutex: new AsyncMutex(), users: 0 };
    byKey.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    mutex: held.mutex,
    release: () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0 && byKey.get(key) === held) byKey.delete(key);
    },
  };
}
