/**
 * The bound on reads running at once (state, stateByCategoryPrefix, sync), per connection and per
 * user whose data is read. A read past either bound is refused at once with GREGOR_ERR_OVERLOADED
 * rather than queued: each read may build an answer of up to one frame, so a queue would hold the
 * memory a bound is there to cap, and a refused client retries as it would after any overload.
 * One instance counts its own reads; each instance of a cluster applies the bounds on its own.
 *
 * Finished reads also take turns: an answer of thousands of items is turned into wire shape and
 * encoded in one synchronous step after the read resolves, so answers finishing together would
 * hold the event loop for all of their encodings at once. Each finished read resumes in a turn of
 * the event loop of its own, with I/O (other connections' calls) served between two turns.
 */
import { gregorError } from 'gregor-client/errors';
import { toHex, type UID } from 'gregor-client/protocol';

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
  #lastTurn: Promise<void> = Promise.resolve();

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
      const answer = await read();
      await this.#nextTurn();
      return answer;
    } finally {
      decrement(this.#byConnection, conn);
      decrement(this.#byUser, user);
    }
  }

  /** Wait for the turn after the previous finished read's; see the file header. */
  async #nextTurn(): Promise<void> {
    const previous = this.#lastTurn;
    let release!: () => void;
    this.#lastTurn = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    // The caller encodes its answer when this resolves; the next one waits for the check phase
    // of the next loop iteration, after the poll phase has served other sockets.
    setImmediate(release);
  }
}

/** Count one down, forgetting the key at zero so idle connections and users leave nothing. */
function decrement<K>(counts: Map<K, number>, key: K): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
