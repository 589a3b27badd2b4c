/**
 * The table of outgoing calls awaiting a response: seqno allocation, a bound on the table's size,
 * a timeout for every call and an abort signal. Without a bound and a timeout, a peer that never
 * answers would make the table grow for ever.
 */
import { type GregorError, gregorError } from '../errors.js';

/**
 * Seqnos run from 1 to this value, then wrap to 1. Kept within int32 so every peer (Go decodes
 * into an int, the old Node library into a double) reads the number back exactly.
 */
export const MAX_SEQNO = 0x7fff_ffff;

/** Per-call options. */
export interface CallOptions {
  /** Aborting rejects the call with GREGOR_ERR_ABORTED and cancels it on the peer. */
  signal?: AbortSignal;
  /** Time to wait for the response, in ms. @default the session's `callTimeoutMs` */
  timeoutMs?: number;
}

interface Entry {
  readonly table: PendingCalls;
  readonly seq: number;
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: GregorError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** Called when a call is given up locally (timeout or abort), so the peer can be told to cancel. */
export type AbandonCallback = (seq: number, method: string) => void;

function expire(entry: Entry): void {
  entry.table.abandon(
    entry.seq,
    gregorError('GREGOR_ERR_TIMEOUT', `call ${entry.method} timed out`),
  );
}

/** Outgoing calls in flight on one session. */
export class PendingCalls {
  readonly #calls = new Map<number, Entry>();
  readonly #max: number;
  readonly #defaultTimeoutMs: number;
  readonly #onAbandon: AbandonCallback;
  readonly #maxSeq: number;
  #lastSeq = 0;

  /**
   * @param max most calls in flight at once; more are rejected with GREGOR_ERR_RPC_TOO_MANY_PENDING.
   * @param defaultTimeoutMs timeout of a call that names none, in ms.
   * @param maxSeq the seqno after which numbering wraps to 1. @default MAX_SEQNO
   */
  constructor(
    max: number,
    defaultTimeoutMs: number,
    onAbandon: AbandonCallback,
    maxSeq: number = MAX_SEQNO,
  ) {
    this.#max = max;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#onAbandon = onAbandon;
    this.#maxSeq = maxSeq;
  }

  /** Calls awaiting a response. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * Register a call to `method`: returns its seqno and the promise its response settles. Throws
   * (before anything is sent) when the table is full, the signal has already fired, or `timeoutMs`
   * is not a usable timer delay.
   */
  add(method: string, opts: CallOptions = {}): { seq: number; result: Promise<unknown> } {
    const timeoutMs = opts.timeoutMs ?? this.#defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_SEQNO) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `timeoutMs must be an integer in 1..${MAX_SEQNO}`,
      );
    }
    if (this.#calls.size >= this.#max) {
      throw gregorError(
        'GREGOR_ERR_RPC_TOO_MANY_PENDING',
        `too many calls in flight (maxPendingCalls ${this.#max})`,
      );
    }
    const signal = opts.signal;
    if (signal?.aborted) {
      throw gregorError('GREGOR_ERR_ABORTED', `call ${method} aborted`, { cause: signal.reason });
    }
    const seq = this.#nextSeq();
    let resolve!: (result: unknown) => void;
    let reject!: (err: GregorError) => void;
    const result = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const onAbort =
      signal === undefined
        ? undefined
        : () =>
            this.abandon(
              seq,
              gregorError('GREGOR_ERR_ABORTED', `call ${method} aborted`, { cause: signal.reason }),
            );
    const entry: Entry = {
      table: this,
      seq,
      method,
      resolve,
      reject,
      timer: undefined,
      signal,
      onAbort,
    };
    // A module-level callback with the entry as argument: no closure per call for the timer.
    // Not unref'd: an awaited call is work in progress, not a background timer, and on the
    // in-memory transport nothing else would keep the process alive until it settles.
    entry.timer = setTimeout(expire, timeoutMs, entry);
    if (onAbort !== undefined) signal?.addEventListener('abort', onAbort, { once: true });
    this.#calls.set(seq, entry);
    return { seq, result };
  }

  /** Settle call `seq` with its response. Returns false for an unknown (late or bogus) seqno. */
  settle(seq: number, err: GregorError | null, result: unknown): boolean {
    const entry = this.#take(seq);
    if (entry === undefined) return false;
    if (err === null) entry.resolve(result);
    else entry.reject(err);
    return true;
  }

  /** Give up on call `seq` locally with `err`, and let the owner cancel it on the peer. */
  abandon(seq: number, err: GregorError): void {
    const entry = this.#take(seq);
    if (entry === undefined) return;
    entry.reject(err);
    this.#onAbandon(seq, entry.method);
  }

  /** Reject every call with `err` (the session closed). */
  rejectAll(err: GregorError): void {
    for (const seq of [...this.#calls.keys()]) this.#take(seq)?.reject(err);
  }

  #take(seq: number): Entry | undefined {
    const entry = this.#calls.get(seq);
    if (entry === undefined) return undefined;
    this.#calls.delete(seq);
    clearTimeout(entry.timer);
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
  }

  #nextSeq(): number {
    // The table holds fewer entries than there are seqnos, so this finds a free one.
    do {
      this.#lastSeq = this.#lastSeq >= this.#maxSeq ? 1 : this.#lastSeq + 1;
    } while (this.#calls.has(this.#lastSeq));
    return this.#lastSeq;
  }
}
