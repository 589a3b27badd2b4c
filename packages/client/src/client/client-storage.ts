/**
 * Where a client keeps its local copy between runs (docs/client.md, "Persistence"): a small
 * async key → bytes store. This file holds the interface and the in-memory implementation; the
 * file implementation is Node-only and lives in node.ts.
 */

/** An async key-value store of byte strings. */
export interface ClientStorage {
  /** The bytes stored under `key`, or undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Store `bytes` under `key`, replacing what was there. Resolves once stored. */
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** A ClientStorage in memory: for tests, and to hand a saved copy from one client to the next. */
export class MemoryClientStorage implements ClientStorage {
  readonly #entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const bytes = this.#entries.get(key);
    return bytes === undefined ? undefined : bytes.slice();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    // A private copy: the caller may reuse its buffer.
    this.#entries.set(key, bytes.slice());
  }

  /** The stored keys, for inspection. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
