/**
 * The cluster queries this instance is waiting on: request id → answers so far, how many are
 * expected, and the timer that ends the wait. Answers may arrive before the expected count is
 * known (on Redis the replies travel on another connection than the PUBLISH that counts them).
 */
import { gregorError } from 'gregor-client/errors';

/** At most this many queries wait at once; past it `start` rejects with GREGOR_ERR_OVERLOADED. */
export const DEFAULT_MAX_PENDING_GATHERS = 1000;

interface PendingGather {
  readonly answers: Uint8Array[];
  replies: number;
  expected: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (answers: Uint8Array[]) => void;
  readonly reject: (err: Error) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Tracks pending `gather` calls of one bus. */
export class GatherTracker {
  readonly #pending = new Map<number, PendingGather>();
  readonly #maxPending: number;
  #lastId = 0;

  constructor(maxPending = DEFAULT_MAX_PENDING_GATHERS) {
    this.#maxPending = maxPending;
  }

  /** Number of queries still waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Open a query. `result` resolves with the answers when `expect`ed replies have arrived or
   * `timeoutMs` has passed, and rejects with GREGOR_ERR_ABORTED if `signal` aborts.
   */
  start(timeoutMs: number, signal?: AbortSignal): { id: number; result: Promise<Uint8Array[]> } {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'gather: timeoutMs must be a positive number');
    }
    if (signal?.aborted) throw gregorError('GREGOR_ERR_ABORTED', 'gather aborted');
    if (this.#pending.size >= this.#maxPending) {
      throw gregorError('GREGOR_ERR_OVERLOADED', `gather: ${this.#maxPending} queries pending`);
    }
    // Request ids travel as uint32; skip 0 and any id still in use after a wrap.
    do this.#lastId = (this.#lastId % 0xffff_ffff) + 1;
    while (this.#pending.has(this.#lastId));
    const id = this.#lastId;
    const result = new Promise<Uint8Array[]>((resolve, reject) => {
      const onAbort = (): void =>
        this.fail(id, gregorError('GREGOR_ERR_ABORTED', 'gather aborted'));
      const timer = setTimeout(() => this.#finish(id), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        answers: [],
        replies: 0,
        expected: Number.POSITIVE_INFINITY,
        timer,
        resolve,
        reject,
        signal,
        onAbort,
      });
    });
    return { id, result };
  }

  /** Say how many replies query `id` can get; it completes at once if they are all in. */
  expect(id: number, count: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    pending.expected = count;
    if (pending.replies >= count) this.#finish(id);
  }

  /** Record a reply to query `id`: an answer, or `null` for "no answer from me". */
  reply(id: number, answer: Uint8Array | null): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    pending.replies++;
    if (answer !== null) pending.answers.push(answer);
    if (pending.replies >= pending.expected) this.#finish(id);
  }

  /** End query `id` with an error. */
  fail(id: number, err: Error): void {
    const pending = this.#take(id);
    pending?.reject(err);
  }

  /** End every query with `err` (the bus is closing). */
  failAll(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.fail(id, err);
  }

  #finish(id: number): void {
    const pending = this.#take(id);
    pending?.resolve(pending.answers);
  }

  #take(id: number): PendingGather | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }
}
