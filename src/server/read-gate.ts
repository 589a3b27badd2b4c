/**
 * The bound on reads running at once (state, stateByCategoryPrefix, sync), per connection and per
 * user whose data is read. A read past either bound is refused at once with GREGOR_ERR_OVERLOADED
 * rather than queued: each read may build an answer of up to one frame, so a queue would hold the
 * memory a bound is there to cap, and a refused client retries as it would after any overload.
 * One instance counts its own reads; each instance of a cluster applies the bounds on its own.
 */
import { gregorError } from '../errors.js';
import { toHex, type UID } from '../protocol/index.js';

/** The bounds of a ReadGate. */
export interface ReadGateLimits {
  readonly maxPerConnection: number;
  readonly maxPerUser: number;
}

/** See the file header. */
export class ReadGate<C extends object> {
  readonly #limits: ReadGateLimits;
  readonly #byConnection = new Map<C, number>();
  readonly #byUser = new Map<string, number>();

  constructor(limits: ReadGateLimits) {
    this.#limits = limits;
  }

  /** Run `read` for `conn` on `uid`'s data, or refuse it when a bound is reached. */
  async run<T>(conn: C, uid: UID, read: () => Promise<T>): Promise<T> {
    const user = toHex(uid);
    const onConnection = this.#byConnection.get(conn) ?? 0;
    const onUser = this.#byUser.get(user) ?? 0;
    if (onConnection >= this.#limits.maxPerConnection) {
      throw gregorError(
        'GREGOR_ERR_OVERLOADED',
        `${onConnection} reads already running on this connection (most ${this.#limits.maxPerConnection}); wait for one to finish`,
      );
    }
    if (onUser >= this.#limits.maxPerUser) {
      throw gregorError(
        'GREGOR_ERR_OVERLOADED',
        `${onUser} reads of user ${user} already running (most ${this.#limits.maxPerUser}); wait for one to finish`,
      );
    }
    this.#byConnection.set(conn, onConnection + 1);
    this.#byUser.set(user, onUser + 1);
    try {
      return await read();
    } finally {
      decrement(this.#byConnection, conn);
      decrement(this.#byUser, user);
    }
  }
}

/** Count one down, forgetting the key at zero so idle connections and users leave nothing. */
function decrement<K>(counts: Map<K, number>, key: K): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
