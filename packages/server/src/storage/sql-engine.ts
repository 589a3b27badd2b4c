/**
 * SqlEngine: the persistent StateMachine, one implementation over SQLite, PostgreSQL and
 * MySQL/MariaDB, with the semantics of the memory engine (docs/data-model.md).
 *
 * It wires named parts together: consumes go through the group-commit writer (group-commit.ts,
 * consume-commit.ts); reads through state-queries.ts; reminders through reminder-queries.ts.
 * Database failures reach callers as GREGOR_ERR_STORAGE_FAILED with the driver error as `cause`;
 * a lost connection is retried on fresh connections (`retryOnConnectionLoss`), since every operation here may be repeated.
 * Every read and transaction answers within `queryTimeoutMs` (or the caller's shorter timeout) with
 * GREGOR_ERR_TIMEOUT, even while the database is frozen; the dialects' statement deadlines then
 * free the stuck connections, so the pool recovers once the database answers again.
 */
import { gregorError } from 'gregor-client/errors';
import type {
  DeviceID,
  InBandMessage,
  Message,
  ReminderID,
  ReminderSet,
  State,
  Time,
  TimeOrOffset,
  UID,
} from 'gregor-client/protocol';
import {
  type Clock,
  type Consumed,
  type ConsumeOptions,
  classifyMessage,
  filterStateByCategoryPrefix,
  type ReadOptions,
  ResultBudget,
  type Retainable,
  type RetentionStore,
  reminderLimit,
  resolveQueryTime,
  type StateMachine,
  type WaitOptions,
  withDeadline,
} from 'gregor-client/state/internal';
import { commitConsumes } from './consume-commit.js';
import type { ConsumeJob, LoggedAnswer } from './consume-plan.js';
import {
  type Dialect,
  type DialectName,
  retryOnConnectionLoss,
  type SqlSession,
} from './dialect.js';
import { GroupCommitWriter } from './group-commit.js';
import type { ResolvedSqlEngineOptions } from './options.js';
import { deleteReminder, takeReminders } from './reminder-queries.js';
import type { TableNames } from './schema.js';
import { SqlRetention } from './sql-retention.js';
import { queryLatestCTime, querySince, queryState } from './state-queries.js';
import { toStorageError } from './storage-error.js';

/** The SQL StateMachine; open one with `openSqlEngine`. */
export class SqlEngine implements StateMachine, Retainable {
  readonly isEphemeral = false;
  readonly clock: Clock;
  readonly reminderLockDurationMs: number;
  /** Which database this engine speaks to. */
  readonly dialect: DialectName;
  readonly #d: Dialect;
  readonly #t: TableNames;
  readonly #writer: GroupCommitWriter<ConsumeJob, LoggedAnswer>;
  readonly #queryTimeoutMs: number;
  #closing: Promise<void> | undefined;
  /** Deletes what lies past a horizon (sql-retention.ts); only a server's retention job calls it. */
  readonly retention: RetentionStore;

  /** Use `openSqlEngine`, which also runs the migrations. */
  constructor(d: Dialect, tables: TableNames, opts: ResolvedSqlEngineOptions) {
    this.#d = d;
    this.#t = tables;
    this.dialect = d.name;
    this.clock = opts.clock;
    this.reminderLockDurationMs = opts.reminderLockDurationMs;
    this.#queryTimeoutMs = opts.queryTimeoutMs;
    const commit =
      d.commitConsumes ?? ((t: TableNames, jobs: ConsumeJob[]) => commitConsumes(d, t, jobs));
    this.#writer = new GroupCommitWriter((jobs) => commit(tables, jobs), {
      maxBatch: opts.maxBatchMessages,
      maxQueued: opts.maxQueuedMessages,
    });
    this.retention = new SqlRetention(d, tables, opts.clock, async (operation, fn) => {
      this.#enter();
      return this.#retry(operation, undefined, fn);
    });
  }

  /**
   * Apply `m` durably: resolves with the logged message once its transaction has committed.
   * Concurrent consumes share a transaction (group commit); one user's apply in call order.
   */
  async consumeMessage(m: Message, opts?: ConsumeOptions): Promise<Message> {
    return (await this.consume(m, opts)).message;
  }

  /** consumeMessage, telling whether the msgID was logged before. */
  async consume(m: Message, opts?: ConsumeOptions): Promise<Consumed> {
    this.#enter(opts);
    const message = classifyMessage(m);
    // An out-of-band message changes nothing and comes back unchanged.
    if (message.kind === 'oobm') return { message: message.message, isDuplicate: false };
    // The quota is checked inside the commit's transaction (consume-plan.ts).
    const job = { message, now: this.clock.now(), quota: opts?.quota };
    const { ibm, isDuplicate } = await this.#writer.submit(job, opts);
    return { message: { ibm }, isDuplicate };
  }

  state(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    opts?: ReadOptions,
  ): Promise<State> {
    const now = this.clock.now();
    const queryTime = resolveQueryTime(t, now);
    return this.#read('state', opts, (s) =>
      queryState(s, this.#t, uid, deviceID, queryTime, now, resultBudget(opts, 'state')),
    );
  }

  async stateByCategoryPrefix(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    prefix: string,
    opts?: ReadOptions,
  ): Promise<State> {
    // Filtering the user's visible items with the shared rule keeps it exact in every dialect.
    return filterStateByCategoryPrefix(await this.state(uid, deviceID, t, opts), prefix);
  }

  inBandMessagesSince(
    uid: UID,
    deviceID: DeviceID | null,
    since: Time,
    opts?: ReadOptions,
  ): Promise<InBandMessage[]> {
    const now = this.clock.now();
    return this.#read('since', opts, (s) =>
      querySince(s, this.#t, uid, deviceID, since, now, resultBudget(opts, 'sync')),
    );
  }

  latestCTime(uid: UID, deviceID: DeviceID | null, opts?: WaitOptions): Promise<Time | null> {
    return this.#read('latestCTime', opts, (s) => queryLatestCTime(s, this.#t, uid, deviceID));
  }

  async reminders(max: number, opts?: WaitOptions): Promise<ReminderSet> {
    this.#enter(opts);
    reminderLimit(max);
    const now = this.clock.now();
    return this.#retry('reminders', opts, () =>
      takeReminders(this.#d, this.#t, max, now, this.reminderLockDurationMs),
    );
  }

  async deleteReminder(id: ReminderID, opts?: WaitOptions): Promise<void> {
    this.#enter(opts);
    await this.#retry('deleteReminder', opts, () => deleteReminder(this.#d, this.#t, id));
  }

  /**
   * Forget every user, and where retention's sweep stands. Consumes called before it are applied
   * first; later ones after.
   */
  async clear(opts?: WaitOptions): Promise<void> {
    this.#enter(opts);
    const t = this.#t;
    await this.#writer.exclusive(() =>
      this.#retry('clear', opts, () =>
        this.#d.transaction(async (s) => {
          for (const table of [t.reminders, t.messages, t.items, t.locks])
            await s.run(`DELETE FROM ${table}`);
        }),
      ),
    );
  }

  /** Finish the consumes already queued, then close every connection; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#writer.idle().then(() => this.#d.close());
    return this.#closing;
  }

  async #read<T>(
    operation: string,
    opts: WaitOptions | undefined,
    fn: (s: SqlSession) => Promise<T>,
  ): Promise<T> {
    this.#enter(opts);
    return this.#retry(operation, opts, () => this.#d.read(fn));
  }

  /**
   * Run `fn`, retried on a lost connection, answering by the deadline: the query timeout or the
   * caller's, whichever is shorter. Past it the work may go on (a transaction may still commit),
   * but the caller is answered with GREGOR_ERR_TIMEOUT.
   */
  async #retry<T>(
    operation: string,
    opts: WaitOptions | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const timeoutMs = Math.min(opts?.timeoutMs ?? this.#queryTimeoutMs, this.#queryTimeoutMs);
    try {
      return await withDeadline(
        retryOnConnectionLoss(this.#d, fn),
        { timeoutMs, signal: opts?.signal },
        `storage: ${operation}`,
      );
    } catch (err) {
      throw toStorageError(err, operation);
    }
  }

  /** Reject a call on a closed engine or with an aborted signal, before it touches anything. */
  #enter(opts?: WaitOptions): void {
    if (this.#closing !== undefined) {
      throw gregorError('GREGOR_ERR_CLOSED', 'state machine is closed');
    }
    if (opts?.signal?.aborted === true) {
      throw gregorError('GREGOR_ERR_ABORTED', 'state machine call aborted', {
        cause: opts.signal.reason,
      });
    }
  }
}

/** A fresh budget per attempt: a read retried after a lost connection counts from zero. */
function resultBudget(opts: ReadOptions | undefined, what: string): ResultBudget {
  return new ResultBudget(opts?.maxResultBytes, what);
}
