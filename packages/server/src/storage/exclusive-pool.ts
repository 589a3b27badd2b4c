/**
 * A fixed set of resources, each lent to one holder at a time; holders beyond the set wait in
 * call order. The SQLite dialect lends its reader connections this way: a read that yields to the
 * event loop between slices keeps its connection (and so its snapshot) until it ends, and a
 * better-sqlite3 connection cannot run a second statement while one is being iterated.
 */
export class ExclusivePool<T> {
  readonly #all: readonly T[];
  readonly #free: T[];
  readonly #waiters: ((resource: T) => void)[] = [];

  constructor(resources: readonly T[]) {
    this.#all = resources;
    this.#free = [...resources];
  }

  /** Run `fn` with a resource of its own; resolves or rejects with its result. */
  async run<R>(fn: (resource: T) => Promise<R>): Promise<R> {
    const resource = await this.#acquire();
    try {
      return await fn(resource);
    } finally {
      this.#release(resource);
    }
  }

  /** Wait until every resource is free, then hand all of them to `fn` (closing). */
  async drain(fn: (resources: readonly T[]) => void): Promise<void> {
    const held = await Promise.all(this.#all.map(() => this.#acquire()));
    fn(held);
  }

  #acquire(): Promise<T> {
    const resource = this.#free.pop();
    if (resource !== undefined) return Promise.resolve(resource);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(resource: T): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#free.push(resource);
    else next(resource);
  }
}
