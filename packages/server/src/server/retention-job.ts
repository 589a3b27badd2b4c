/**
 * The retention job (docs/data-model.md, "Retention"): every interval (with jitter, so that the
 * instances of a cluster do not all ask at once) it asks the engine's RetentionStore for the
 * sweep lease; the one instance that gets it sweeps the users in batches, each a short
 * transaction of at most `batchRows` items plus messages, yielding between batches, until the
 * sweep is done, the lease is lost, or the job stops. A sweep that stops half-way is resumed
 * from its cursor by whichever instance takes the lease next. "Now" and the horizon come from the
 * engine's clock; only the pauses between runs are real timers.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { UID } from 'gregor-client/protocol';
import type { Clock, RetentionCounts, RetentionStore, TableRowCounts } from 'gregor-client/state';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { RetentionMetrics } from './retention-metrics.js';

/** How often each instance tries a sweep, ms. */
export const DEFAULT_RETENTION_INTERVAL_MS = 60_000;
/** Items plus messages one batch (one transaction) deletes at most. */
export const DEFAULT_RETENTION_BATCH_ROWS = 500;
/** How long the sweep lease lasts without a batch renewing it, ms. */
export const DEFAULT_RETENTION_LEASE_MS = 120_000;
/** The shortest retention gregord accepts: below it a lost answer's resend may outlive its log row. */
export const MIN_RETENTION_MS = 3_600_000;
/** How often the row counts are sampled, at most, ms (counting a SQLite table reads all of it). */
const ROW_COUNT_INTERVAL_MS = 300_000;

/** Retention of a GregorServer. */
export interface RetentionOptions {
  /** What is kept, ms: log rows older than this (and their dead items) are deleted. At least 1 hour. */
  retentionMs: number;
  /** How often each instance tries a sweep, ms, ±10 %. @default 60000 */
  intervalMs?: number;
  /** Items plus messages per batch (transaction), at least 2. @default 500 */
  batchRows?: number;
  /** Sweep lease, ms: how long a stalled holder keeps the others waiting. @default 120000 */
  leaseMs?: number;
}

/** What one run did. */
export interface RetentionRun {
  /** True when this instance held the lease (false: another did, or no sweep was due). */
  readonly claimed: boolean;
  readonly batches: number;
  readonly deleted: RetentionCounts;
  /** True when the run completed a sweep. */
  readonly done: boolean;
  /** True when a storage error ended it (logged and counted; the next interval tries again). */
  readonly failed: boolean;
}

/** What the job is built from. */
export interface RetentionJobOptions extends RetentionOptions {
  store: RetentionStore;
  clock: Clock;
  logger: Logger;
  /** Where the metrics go; none without. */
  registry?: Registry;
  /** This instance's name in the lease. @default host/pid/random */
  owner?: string;
}

const NOTHING: RetentionCounts = Object.freeze({ items: 0, messages: 0, reminders: 0 });

function add(a: RetentionCounts, b: RetentionCounts): RetentionCounts {
  return {
    items: a.items + b.items,
    messages: a.messages + b.messages,
    reminders: a.reminders + b.reminders,
  };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The background job; see the file header. */
export class RetentionJob {
  /** This instance's name in the lease. */
  readonly owner: string;
  readonly #store: RetentionStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retentionMs: number;
  readonly #intervalMs: number;
  readonly #batchRows: number;
  readonly #leaseMs: number;
  readonly #metrics: RetentionMetrics | undefined;
  readonly #startedAt: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RetentionRun> | undefined;
  #stopped = false;
  #rows: TableRowCounts | undefined;
  #rowsAt = Number.NEGATIVE_INFINITY;
  #lastCompletedAt: number | null = null;

  constructor(opts: RetentionJobOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#retentionMs = opts.retentionMs;
    this.#intervalMs = opts.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS;
    this.#batchRows = opts.batchRows ?? DEFAULT_RETENTION_BATCH_ROWS;
    this.#leaseMs = opts.leaseMs ?? DEFAULT_RETENTION_LEASE_MS;
    this.owner =
      opts.owner ?? `${hostname().slice(0, 32)}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.#startedAt = this.#clock.now();
    this.#metrics =
      opts.registry === undefined
        ? undefined
        : new RetentionMetrics(opts.registry, {
            rows: () => this.#rows,
            lagSeconds: () =>
              Math.max(0, this.#clock.now() - (this.#lastCompletedAt ?? this.#startedAt)) / 1000,
          });
  }

  /** The horizon now: rows logged before it may go. */
  horizon(): number {
    return this.#clock.now() - this.#retentionMs;
  }

  /** Run every interval until `stop`. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /**
   * One run now (what the timer does): claim the lease and sweep until done, lost or stopped;
   * then sample the metrics. A call while a run is going joins it. Never rejects: a storage
   * failure is logged and counted, and the next interval tries again.
   */
  runOnce(): Promise<RetentionRun> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stop the timer, let a running batch finish and give the lease back; idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    // ±10 %: instances started together drift apart instead of asking in the same instant.
    const delay = Math.round(this.#intervalMs * (0.9 + 0.2 * Math.random()));
    this.#timer = setTimeout(() => {
      void this.runOnce().then(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }

  async #run(): Promise<RetentionRun> {
    const progress = { claimed: false, batches: 0, deleted: NOTHING, done: false, failed: false };
    if (this.#stopped) return progress;
    try {
      await this.#sweep(progress);
    } catch (err) {
      progress.failed = true;
      this.#metrics?.failures.inc();
      this.#logger.warn({ err }, 'retention run failed; retrying at the next interval');
      if (progress.claimed) await this.#store.releaseSweep(this.owner).catch(() => undefined);
    }
    if (!this.#stopped) await this.#sample();
    return progress;
  }

  /** Claim the lease and sweep until done, lost or stopped, recording into `run` as it goes. */
  async #sweep(run: { -readonly [K in keyof RetentionRun]: RetentionRun[K] }): Promise<void> {
    const lease = await this.#store.claimSweep(this.owner, {
      leaseMs: this.#leaseMs,
      minIntervalMs: this.#intervalMs,
    });
    if (lease === null) return;
    run.claimed = true;
    const endTimer = this.#metrics?.runSeconds.startTimer();
    let cursor: UID | null = lease.cursor;
    try {
      while (!this.#stopped) {
        const batch = await this.#store.sweepBatch(this.owner, {
          cursor,
          horizon: this.horizon(),
          maxRows: this.#batchRows,
          leaseMs: this.#leaseMs,
        });
        if (batch === null) {
          this.#logger.warn(
            { owner: this.owner },
            'retention lease lost; another instance goes on',
          );
          return;
        }
        run.batches++;
        run.deleted = add(run.deleted, batch.deleted);
        this.#metrics?.countBatch(batch.deleted);
        if (batch.done) {
          run.done = true;
          this.#logger.info(
            { deleted: run.deleted, batches: run.batches },
            'retention sweep completed',
          );
          return;
        }
        cursor = batch.cursor;
        // Other work (consumes waiting for the database, reads) goes first.
        await yieldToEventLoop();
      }
      await this.#store.releaseSweep(this.owner);
    } finally {
      endTimer?.();
    }
  }

  /** Refresh what the gauges show: the last completed sweep always, the row counts now and then. */
  async #sample(): Promise<void> {
    if (this.#metrics === undefined) return;
    try {
      this.#lastCompletedAt = (await this.#store.sweepStatus()).lastCompletedAt;
      const now = this.#clock.now();
      if (now - this.#rowsAt >= ROW_COUNT_INTERVAL_MS || this.#rows === undefined) {
        this.#rows = await this.#store.countRows();
        this.#rowsAt = now;
      }
    } catch (err) {
      this.#logger.warn({ err }, 'retention metrics could not be sampled');
    }
  }
}
