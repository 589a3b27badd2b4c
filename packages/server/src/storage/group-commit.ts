/**
 * Group commit: consumes that arrive while a commit runs
 * wait in one FIFO queue and go into the next transaction together, up to `maxBatch`, so many
 * callers share one transaction and one fsync. Each caller is answered only once its own outcome
 * is known, after the commit. One writer runs at a time, in call order, so consumes of the same
 * user apply in the order they were called. Exclusive jobs (clear) run alone, in their place in
 * the queue.
 */
import { gregorError } from 'gregor-client/errors';
import type { WaitOptions } from 'gregor-client/state';

/** The outcome of one job of a batch: each caller fails or succeeds on its own. */
export type Outcome<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: unknown };

/** Applies a batch in one transaction; resolves with one outcome per job, in order. */
export type BatchCommit<J, A> = (jobs: J[]) => Promise<Outcome<A>[]>;

/** Bounds of the writer (every buffer is bounded by an option). */
export interface GroupCommitLimits {
  /** Most jobs in one transaction. */
  readonly maxBatch: number;
  /** Most jobs waiting; past it a submit rejects with GREGOR_ERR_OVERLOADED. */
  readonly maxQueued: number;
}

interface QueuedJob<J, A> {
  readonly kind: 'job';
  readonly job: J;
  resolve(value: A): void;
  reject(err: unknown): void;
  detach(): void;
}

interface QueuedExclusive {
  readonly kind: 'exclusive';
  run(): Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** The group-commit writer; see the file header. */
export class GroupCommitWriter<J, A> {
  readonly #commit: BatchCommit<J, A>;
  readonly #limits: GroupCommitLimits;
  readonly #queue: (QueuedJob<J, A> | QueuedExclusive)[] = [];
  #scheduled = false;
  #running = false;
  #idleWaiters: (() => void)[] = [];

  constructor(commit: BatchCommit<J, A>, limits: GroupCommitLimits) {
    this.#commit = commit;
    this.#limits = limits;
  }

  /** Jobs waiting for a commit (not counting the batch being committed). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queue `job` for the next commit. Rejects with GREGOR_ERR_ABORTED when `opts.signal` fires
   * while the job still waits, with GREGOR_ERR_TIMEOUT when `opts.timeoutMs` passes before its
   * outcome is known (see #watch), and with GREGOR_ERR_OVERLOADED when `maxQueued` jobs already
   * wait.
   */
  submit(job: J, opts?: WaitOptions): Promise<A> {
    if (opts?.signal?.aborted === true) {
      return Promise.reject(aborted(opts.signal));
    }
    if (this.#queue.length >= this.#limits.maxQueued) {
      return Promise.reject(
        gregorError(
          'GREGOR_ERR_OVERLOADED',
          `storage: ${this.#queue.length} consumes already queued`,
        ),
      );
    }
    return new Promise<A>((resolve, reject) => {
      const entry: QueuedJob<J, A> = {
        kind: 'job',
        job,
        resolve: (v) => {
          entry.detach();
          resolve(v);
        },
        reject: (e) => {
          entry.detach();
          reject(e);
        },
        detach: () => {},
      };
      entry.detach = this.#watch(entry, opts);
      this.#queue.push(entry);
      this.#schedule();
    });
  }

  /** Run `run` alone once everything queued before it has committed. */
  exclusive(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'exclusive', run, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or committing. */
  idle(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Watch a job's signal and timeout; returns the cleanup. An abort drops a waiting job (its
   * caller is gone); a committing one runs to the end. A timeout answers the caller whether the
   * job waits or commits, so a stuck database never holds a caller past its deadline. The
   * committing job stays in its transaction, which the dialect's statement deadlines bound, and
   * the writer waits for it before the next batch, so later consumes never commit before it. It
   * may still commit; a retry with the same msgID is safe (consumes are idempotent).
   */
  #watch(entry: QueuedJob<J, A>, opts?: WaitOptions): () => void {
    const dequeue = (): boolean => {
      const at = this.#queue.indexOf(entry);
      if (at >= 0) this.#queue.splice(at, 1);
      return at >= 0;
    };
    const signal = opts?.signal;
    const onAbort = (): void => {
      if (dequeue()) entry.reject(aborted(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      opts?.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            dequeue();
            entry.reject(
              gregorError(
                'GREGOR_ERR_TIMEOUT',
                `storage: consume not committed within ${opts.timeoutMs} ms`,
              ),
            );
          }, opts.timeoutMs);
    return () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // One turn of the event loop gathers every consume that arrived meanwhile into the first batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain().catch(() => {});
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (head.kind === 'exclusive') {
          this.#queue.shift();
          await head.run().then(head.resolve, head.reject);
          continue;
        }
        const batch: QueuedJob<J, A>[] = [];
        while (batch.length < this.#limits.maxBatch && this.#queue[0]?.kind === 'job') {
          batch.push(this.#queue.shift() as QueuedJob<J, A>);
        }
        let outcomes: Outcome<A>[];
        try {
          outcomes = await this.#commit(batch.map((q) => q.job));
        } catch (error) {
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        batch.forEach((q, i) => {
          const o = outcomes[i] ?? { ok: false, error: new Error('batch commit lost an outcome') };
          if (o.ok) q.resolve(o.value);
          else q.reject(o.error);
        });
      }
    } finally {
      this.#running = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

function aborted(signal: AbortSignal): Error {
  return gregorError('GREGOR_ERR_ABORTED', 'storage: consume aborted', { cause: signal.reason });
}
