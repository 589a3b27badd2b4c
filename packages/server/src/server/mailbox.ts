/**
 * Mailbox<K>: one FIFO per key, one job at a time per key (Keybase's goroutine per user becomes a
 * serial queue; docs/architecture.md, "4. The Hub and the user's lane").
 *
 * Jobs of different keys run concurrently; jobs of one key run strictly in the order they were
 * enqueued, each starting only after the previous one settled. Each key's queue is bounded: past
 * `maxQueuedPerKey` waiting jobs a bounded job rejects with GREGOR_ERR_OVERLOADED at once. Control
 * jobs (attaching and detaching connections) may pass `bounded: false`: dropping a detach would
 * leak an actor, so they are never refused for length. An idle key holds no memory.
 */
import { gregorError } from 'gregor-client/errors';

/** Waiting jobs allowed per key before bounded jobs are refused (gregord's perUIDServer used 1000). */
export const DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY = 1000;

const COMPACT_AFTER = 1024;

/** Options of a Mailbox. */
export interface MailboxOptions {
  /** Waiting (not yet started) bounded jobs allowed per key. @default 1000 */
  maxQueuedPerKey?: number;
}

/** Options of one job. */
export interface EnqueueOptions {
  /** When false the job is queued even past the bound (attach/detach). @default true */
  bounded?: boolean;
}

interface Job {
  run(): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Lane {
  readonly jobs: Job[];
  /** Index of the next job to start; the array is compacted when the lane empties. */
  head: number;
  running: boolean;
}

/** A per-key serial FIFO of async jobs, bounded per key, that forgets idle keys. */
export class Mailbox<K> {
  readonly #maxQueuedPerKey: number;
  readonly #lanes = new Map<K, Lane>();
  #queued = 0;
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: MailboxOptions = {}) {
    const max = opts.maxQueuedPerKey ?? DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY;
    if (!Number.isInteger(max) || max < 1) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `mailbox maxQueuedPerKey must be a positive integer, got ${String(max)}`,
      );
    }
    this.#maxQueuedPerKey = max;
  }

  /** Keys with a running or waiting job. */
  get activeKeys(): number {
    return this.#lanes.size;
  }

  /** Jobs waiting to start, over all keys. */
  get queued(): number {
    return this.#queued;
  }

  /** Jobs running now, over all keys (at most one per key). */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting to start for `key`. */
  depth(key: K): number {
    const lane = this.#lanes.get(key);
    return lane === undefined ? 0 : lane.jobs.length - lane.head;
  }

  /**
   * Run `fn` after every job already queued for `key`; resolve or reject with its outcome.
   * Rejects with GREGOR_ERR_OVERLOADED, without running `fn`, when the key's queue is full.
   */
  run<T>(key: K, fn: () => Promise<T> | T, opts: EnqueueOptions = {}): Promise<T> {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { jobs: [], head: 0, running: false };
      this.#lanes.set(key, lane);
    } else if (opts.bounded !== false && lane.jobs.length - lane.head >= this.#maxQueuedPerKey) {
      return Promise.reject(
        gregorError(
          'GREGOR_ERR_OVERLOADED',
          `too many queued operations for one user (limit ${this.#maxQueuedPerKey})`,
        ),
      );
    }
    const target = lane;
    return new Promise<T>((resolve, reject) => {
      target.jobs.push({ run: async () => fn(), resolve: resolve as (v: unknown) => void, reject });
      this.#queued++;
      if (!target.running) this.#pump(key, target);
    });
  }

  /** Resolve once no key has a running or waiting job (jobs queued meanwhile are waited for too). */
  whenIdle(): Promise<void> {
    if (this.#lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(key: K, lane: Lane): void {
    const job = lane.jobs[lane.head];
    if (job === undefined) {
      // The lane ran dry: forget the key so idle users cost nothing.
      this.#lanes.delete(key);
      if (this.#lanes.size === 0) this.#notifyIdle();
      return;
    }
    lane.jobs[lane.head] = undefined as unknown as Job;
    lane.head++;
    if (lane.head === lane.jobs.length) {
      lane.jobs.length = 0;
      lane.head = 0;
    } else if (lane.head >= COMPACT_AFTER && lane.head * 2 >= lane.jobs.length) {
      // A lane that never runs dry would otherwise keep every finished slot.
      lane.jobs.splice(0, lane.head);
      lane.head = 0;
    }
    this.#queued--;
    this.#running++;
    lane.running = true;
    job.run().then(
      (value) => this.#settle(key, lane, job.resolve, value),
      (err: unknown) => this.#settle(key, lane, job.reject, err),
    );
  }

  #settle(key: K, lane: Lane, settle: (v: unknown) => void, outcome: unknown): void {
    this.#running--;
    lane.running = false;
    settle(outcome);
    this.#pump(key, lane);
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
