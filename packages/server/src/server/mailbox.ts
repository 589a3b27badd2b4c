/**
 * Mailbox<K>: one FIFO per key, one job at a time per key (Keybase's goroutine per user becomes a
 * serial queue; docs/architecture.md, "4. The Hub and the user's lane").
 *
 * Jobs of different keys run concurrently; jobs of one key run strictly in the order they were
 * enqueued, each starting only after the previous one settled. A job of a JobGroup takes with it
 * the jobs of the same group waiting right behind it, and they run as one step (so a user's queued
 * consumes can share one storage commit); a job of any other kind ends that step, so no job ever
 * overtakes another. After such a step the lane waits one turn of the event loop before the next
 * (see #settle). Each key's queue is bounded: past `maxQueuedPerKey` waiting jobs a bounded
 * job rejects with GREGOR_ERR_OVERLOADED at once. Control jobs (attaching and detaching
 * connections) may pass `bounded: false`: dropping a detach would leak an actor, so they are never
 * refused for length. An idle key holds no memory.
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

/**
 * Jobs that may run together. When a lane reaches a job of a group, it takes the jobs of the same
 * group that wait right behind it, up to `maxBatch`, and runs them with one call.
 */
export interface JobGroup<K, I, T> {
  /** Most jobs taken together. */
  readonly maxBatch: number;
  /** Run the jobs' `items`, in queue order; resolve with each one's outcome, in the same order. */
  run(key: K, items: readonly I[]): Promise<PromiseSettledResult<T>[]>;
}

type AnyGroup = JobGroup<unknown, unknown, unknown>;

interface Job {
  readonly group: AnyGroup;
  readonly item: unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A plain job: a group of one, so it always runs alone. */
const ALONE: JobGroup<unknown, () => unknown, unknown> = {
  maxBatch: 1,
  async run(_key, [fn]) {
    try {
      return [{ status: 'fulfilled', value: await fn!() }];
    } catch (reason) {
      return [{ status: 'rejected', reason }];
    }
  },
};

/** `group.run`, with a synchronous throw turned into a rejection. */
async function runGroup(group: AnyGroup, key: unknown, items: unknown[]) {
  return group.run(key, items);
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

  /** Runs of jobs in progress now, over all keys (at most one per key; a group's run counts once). */
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
    return this.#enqueue(key, ALONE, fn, opts) as Promise<T>;
  }

  /**
   * Queue `item` as a job of `group`: like `run`, but it may run in one `group.run` call together
   * with the jobs of the same group queued right before or after it (see JobGroup).
   */
  runGrouped<I, T>(
    key: K,
    group: JobGroup<K, I, T>,
    item: I,
    opts: EnqueueOptions = {},
  ): Promise<T> {
    return this.#enqueue(key, group as AnyGroup, item, opts) as Promise<T>;
  }

  /** Resolve once no key has a running or waiting job (jobs queued meanwhile are waited for too). */
  whenIdle(): Promise<void> {
    if (this.#lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #enqueue(key: K, group: AnyGroup, item: unknown, opts: EnqueueOptions): Promise<unknown> {
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
    return new Promise((resolve, reject) => {
      target.jobs.push({ group, item, resolve, reject });
      this.#queued++;
      if (!target.running) this.#pump(key, target);
    });
  }

  #pump(key: K, lane: Lane): void {
    if (lane.head === lane.jobs.length) {
      // The lane ran dry: forget the key so idle users cost nothing.
      this.#lanes.delete(key);
      if (this.#lanes.size === 0) this.#notifyIdle();
      return;
    }
    const batch = takeRun(lane);
    this.#queued -= batch.length;
    this.#running++;
    lane.running = true;
    const group = batch[0]!.group;
    runGroup(
      group,
      key,
      batch.map((job) => job.item),
    ).then(
      (outcomes) => this.#settle(key, lane, batch, outcomes),
      (reason: unknown) =>
        this.#settle(
          key,
          lane,
          batch,
          batch.map(() => ({ status: 'rejected', reason })),
        ),
    );
  }

  #settle(key: K, lane: Lane, batch: Job[], outcomes: PromiseSettledResult<unknown>[]): void {
    this.#running--;
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.status === 'fulfilled') job.resolve(outcome.value);
      else job.reject(outcome?.reason ?? new Error('mailbox: a job group lost an outcome'));
    });
    const next = (): void => {
      lane.running = false;
      this.#pump(key, lane);
    };
    // After a group's run, the lane waits one turn of the event loop before taking the next run
    // (and stays busy meanwhile, so nothing starts early): the callers it answered may send more
    // at once (a client pipelining past its connection's bound on calls in flight), and those
    // join the next run instead of trailing it alone.
    if (batch[0]!.group.maxBatch > 1) setImmediate(next);
    else next();
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Take the next job of `lane` and the jobs of its group waiting right behind it, up to the
 * group's `maxBatch`; the lane must not be empty.
 */
function takeRun(lane: Lane): Job[] {
  const group = lane.jobs[lane.head]!.group;
  const batch: Job[] = [];
  while (
    batch.length < group.maxBatch &&
    lane.head < lane.jobs.length &&
    lane.jobs[lane.head]!.group === group
  ) {
    batch.push(lane.jobs[lane.head]!);
    lane.jobs[lane.head] = undefined as unknown as Job;
    lane.head++;
  }
  if (lane.head === lane.jobs.length) {
    lane.jobs.length = 0;
    lane.head = 0;
  } else if (lane.head >= COMPACT_AFTER && lane.head * 2 >= lane.jobs.length) {
    // A lane that never runs dry would otherwise keep every finished slot.
    lane.jobs.splice(0, lane.head);
    lane.head = 0;
  }
  return batch;
}
