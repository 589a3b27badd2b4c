/**
 * Retention (docs/data-model.md, "Retention"): what an engine offers so that a background job can
 * delete, in small batches and on one instance at a time, what lies past a horizon. The rule of
 * what may go is in retention-rules.ts; the job that drives a store is gregor-server's.
 */
import type { Time, UID } from '../protocol/index.js';

/** Rows deleted (or counted) per table. */
export interface RetentionCounts {
  /** Items, with their creation message. */
  readonly items: number;
  /** Logged messages (creations included). */
  readonly messages: number;
  /** Reminders of the deleted items. */
  readonly reminders: number;
}

/** The tables of `RetentionCounts`, in the order metrics list them. */
export const RETENTION_TABLES = ['items', 'messages', 'reminders'] as const;

/** Rows per table now, and whether they are the database's estimates rather than exact counts. */
export interface TableRowCounts extends RetentionCounts {
  readonly estimated: boolean;
}

/** The sweep lease a store hands out: only its holder deletes. */
export interface SweepLease {
  /** The sweep goes on after this user (exclusive); null: it starts from the first user. */
  readonly cursor: UID | null;
}

/** What one batch of a sweep did. */
export interface SweepBatch {
  readonly deleted: RetentionCounts;
  /** Where the next batch starts (see `SweepLease.cursor`). */
  readonly cursor: UID | null;
  /**
   * True when the batch reached the last user: the sweep is recorded as completed and the lease
   * is given back.
   */
  readonly done: boolean;
}

/** Options of `RetentionStore.claimSweep`. */
export interface ClaimOptions {
  /** How long the lease lasts unless renewed (each batch renews it), ms. */
  readonly leaseMs: number;
  /** A new sweep starts only this long after the last one completed, ms; an unfinished one resumes at once. */
  readonly minIntervalMs: number;
}

/** Options of `RetentionStore.sweepBatch`. */
export interface SweepBatchOptions {
  /** The cursor of the lease or of the previous batch. */
  readonly cursor: UID | null;
  /** Rows logged before this time may go (retention-rules.ts), ms. */
  readonly horizon: Time;
  /** Most items plus messages one batch (one transaction) deletes; at least 2. */
  readonly maxRows: number;
  /** The lease is renewed for this long, ms. */
  readonly leaseMs: number;
}

/** Where the sweeps stand, for the lag metric. */
export interface SweepStatus {
  /** When the last sweep completed, on any instance sharing the store; null: never. */
  readonly lastCompletedAt: Time | null;
}

/**
 * The retention side of an engine. Every method runs on the engine's clock ("now"), so a test
 * moves time with a ManualClock. A store shared by several instances (one database) lets one
 * owner at a time hold the sweep lease.
 */
export interface RetentionStore {
  /**
   * Take the sweep lease for `owner` (an instance's random name), or renew it; null when another
   * owner holds an unexpired lease, or when no sweep is due yet.
   */
  claimSweep(owner: string, opts: ClaimOptions): Promise<SweepLease | null>;
  /**
   * Delete one batch of rows past the horizon, in one transaction that also renews the lease and
   * moves the cursor; null, having deleted nothing, when `owner` no longer holds the lease.
   */
  sweepBatch(owner: string, opts: SweepBatchOptions): Promise<SweepBatch | null>;
  /** Give the lease back (the cursor stays, so the next holder resumes there); idempotent. */
  releaseSweep(owner: string): Promise<void>;
  /** When the last sweep completed. */
  sweepStatus(): Promise<SweepStatus>;
  /** Rows per table: cheap, so estimates where the database keeps them (see `estimated`). */
  countRows(): Promise<TableRowCounts>;
}

/** An engine with a retention side (the memory engine and the SQL engine both are). */
export interface Retainable {
  readonly retention: RetentionStore;
}

/** The retention side of `engine`, or undefined for an engine without one. */
export function retentionStoreOf(engine: object): RetentionStore | undefined {
  const store: unknown = Reflect.get(engine, 'retention');
  const ok =
    typeof store === 'object' &&
    store !== null &&
    typeof Reflect.get(store, 'sweepBatch') === 'function' &&
    typeof Reflect.get(store, 'claimSweep') === 'function';
  return ok ? (store as RetentionStore) : undefined;
}
