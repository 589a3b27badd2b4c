/**
 * The SQL engine's retention side (gregor-client's retention.ts): a sweep over the users in uid
 * order, one batch at a time. A batch reads its candidates (retention-queries.ts), plans what fits
 * (the shared planPruneBatch), then deletes them in one short write transaction that also renews
 * the lease and moves the cursor (retention-lock.ts); so at most `maxRows` items plus messages
 * are deleted per transaction, and a consume waits behind at most one such transaction.
 */
import { toHex, type UID } from 'gregor-client/protocol';
import type {
  ClaimOptions,
  Clock,
  RetentionStore,
  SweepBatch,
  SweepBatchOptions,
  SweepLease,
  SweepStatus,
  TableRowCounts,
} from 'gregor-client/state';
import { planPruneBatch, USERS_PER_BATCH } from 'gregor-client/state/internal';
import type { Dialect } from './dialect.js';
import { advanceLease, claimLease, lastSweepAt, releaseLease } from './retention-lock.js';
import { deleteRows, nextUsers, rowsPastHorizon } from './retention-queries.js';
import type { TableNames } from './schema.js';
import { countTableRows } from './table-stats.js';

/** Runs one storage operation with the engine's deadline and retries (SqlEngine's #retry). */
export type StorageRunner = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** Thrown inside a batch's transaction when the lease has gone, so that nothing is deleted. */
class LeaseLost extends Error {}

/** RetentionStore over one database; see the file header. */
export class SqlRetention implements RetentionStore {
  readonly #d: Dialect;
  readonly #t: TableNames;
  readonly #clock: Clock;
  readonly #run: StorageRunner;

  constructor(d: Dialect, t: TableNames, clock: Clock, run: StorageRunner) {
    this.#d = d;
    this.#t = t;
    this.#clock = clock;
    this.#run = run;
  }

  claimSweep(owner: string, opts: ClaimOptions): Promise<SweepLease | null> {
    const now = this.#clock.now();
    return this.#run('retention claim', () => claimLease(this.#d, this.#t, owner, now, opts));
  }

  sweepBatch(owner: string, opts: SweepBatchOptions): Promise<SweepBatch | null> {
    return this.#run('retention batch', () => this.#batch(owner, opts));
  }

  releaseSweep(owner: string): Promise<void> {
    return this.#run('retention release', () => releaseLease(this.#d, this.#t, owner));
  }

  async sweepStatus(): Promise<SweepStatus> {
    const lastCompletedAt = await this.#run('retention status', () =>
      lastSweepAt(this.#d, this.#t),
    );
    return { lastCompletedAt };
  }

  countRows(): Promise<TableRowCounts> {
    const d = this.#d;
    return countTableRows(d.name, (fn) => this.#run('row counts', () => d.read(fn)), this.#t);
  }

  async #batch(owner: string, opts: SweepBatchOptions): Promise<SweepBatch | null> {
    const d = this.#d;
    const t = this.#t;
    const { users, rows } = await d.read(async (s) => {
      const found = await nextUsers(s, t, d.name, opts.cursor, USERS_PER_BATCH);
      return {
        users: found,
        rows: await rowsPastHorizon(s, t, found, opts.horizon, opts.maxRows),
      };
    });
    const plan = planPruneBatch(users.map(toHex), rows, rows.length >= opts.maxRows, opts.maxRows);
    const isDone = plan.lastDone === users.length - 1 && users.length < USERS_PER_BATCH;
    const cursor: UID | null = plan.lastDone < 0 ? opts.cursor : (users[plan.lastDone] as UID);
    const now = this.#clock.now();
    try {
      const deleted = await d.transaction(async (s) => {
        const next = isDone ? { completedAt: now } : { cursor, expiresAt: now + opts.leaseMs };
        if (!(await advanceLease(s, t, owner, next))) throw new LeaseLost();
        return deleteRows(s, t, d.matchKeys, plan.take);
      });
      return { deleted, cursor: isDone ? null : cursor, done: isDone };
    } catch (err) {
      if (err instanceof LeaseLost) return null;
      throw err;
    }
  }
}
