/**
 * The memory engine's retention side (retention.ts): the same rule and the same batches as the
 * SQL engine's, over the engine's own tables. One engine is one process, so the sweep lease only
 * keeps two jobs on the same engine apart.
 */
import { fromHex, type Time, toHex, type UID } from '../protocol/index.js';
import { inBandMetadata } from './consumable.js';
import type { Clock } from './interfaces.js';
import type { ReminderTable } from './reminder-table.js';
import type {
  ClaimOptions,
  RetentionStore,
  SweepBatch,
  SweepBatchOptions,
  SweepLease,
  SweepStatus,
  TableRowCounts,
} from './retention.js';
import {
  isPastHorizon,
  type PruneCandidate,
  planPruneBatch,
  USERS_PER_BATCH,
} from './retention-rules.js';
import type { UserTable } from './user-table.js';

interface Lease {
  owner: string | null;
  expiresAt: Time;
  cursor: string | null;
  lastCompletedAt: Time | null;
}

interface Candidate extends PruneCandidate {
  readonly msgID: string;
  readonly uid: UID;
  readonly msgIDBytes: Uint8Array;
}

/** RetentionStore over a MemoryEngine's users and reminders. */
export class MemoryRetention implements RetentionStore {
  readonly #users: UserTable;
  readonly #reminders: ReminderTable;
  readonly #clock: Clock;
  readonly #lease: Lease = { owner: null, expiresAt: 0, cursor: null, lastCompletedAt: null };

  constructor(users: UserTable, reminders: ReminderTable, clock: Clock) {
    this.#users = users;
    this.#reminders = reminders;
    this.#clock = clock;
  }

  async claimSweep(
    owner: string,
    { leaseMs, minIntervalMs }: ClaimOptions,
  ): Promise<SweepLease | null> {
    const now = this.#clock.now();
    const lease = this.#lease;
    const free = lease.owner === owner || lease.expiresAt <= now;
    const due =
      lease.cursor !== null ||
      lease.lastCompletedAt === null ||
      lease.lastCompletedAt <= now - minIntervalMs;
    if (!free || !due) return null;
    lease.owner = owner;
    lease.expiresAt = now + leaseMs;
    return { cursor: lease.cursor === null ? null : (fromHex(lease.cursor) as UID) };
  }

  async sweepBatch(owner: string, opts: SweepBatchOptions): Promise<SweepBatch | null> {
    const now = this.#clock.now();
    const lease = this.#lease;
    // As on SQL: an expired lease that nobody took since is still its holder's.
    if (lease.owner !== owner) return null;
    const after = opts.cursor === null ? null : toHex(opts.cursor);
    const users = this.#users.usersAfter(after, USERS_PER_BATCH);
    const candidates: Candidate[] = [];
    for (const { hex, record } of users) {
      for (const entry of record.log) {
        if (candidates.length >= opts.maxRows) break;
        if (!isPastHorizon(entry, opts.horizon)) continue;
        const md = inBandMetadata(entry.msg)!;
        candidates.push({
          user: hex,
          uid: md.uid,
          msgID: toHex(md.msgID),
          msgIDBytes: md.msgID,
          hasItem: entry.item !== null,
        });
      }
    }
    const hexes = users.map((u) => u.hex);
    const plan = planPruneBatch(hexes, candidates, candidates.length >= opts.maxRows, opts.maxRows);
    const deleted = { items: 0, messages: plan.take.length, reminders: 0 };
    for (const { hex, record } of users) {
      const mine = plan.take.filter((c) => c.user === hex);
      if (mine.length === 0) continue;
      for (const c of mine) {
        if (!c.hasItem) continue;
        deleted.items++;
        deleted.reminders += this.#reminders.forgetItem(c.uid, c.msgIDBytes);
      }
      record.forget(new Set(mine.map((c) => c.msgID)));
      this.#users.forgetIfEmpty(hex);
    }
    const lastDone = plan.lastDone < 0 ? after : (hexes[plan.lastDone] as string);
    const done =
      users.length === 0 || (plan.lastDone === users.length - 1 && users.length < USERS_PER_BATCH);
    if (done) {
      Object.assign(lease, { owner: null, expiresAt: 0, cursor: null, lastCompletedAt: now });
      return { deleted, cursor: null, done: true };
    }
    lease.cursor = lastDone;
    lease.expiresAt = now + opts.leaseMs;
    return { deleted, cursor: lastDone === null ? null : (fromHex(lastDone) as UID), done: false };
  }

  async releaseSweep(owner: string): Promise<void> {
    if (this.#lease.owner !== owner) return;
    this.#lease.owner = null;
    this.#lease.expiresAt = 0;
  }

  /** Forget where the sweeps stand (the engine was cleared). */
  reset(): void {
    Object.assign(this.#lease, { owner: null, expiresAt: 0, cursor: null, lastCompletedAt: null });
  }

  async sweepStatus(): Promise<SweepStatus> {
    return { lastCompletedAt: this.#lease.lastCompletedAt };
  }

  async countRows(): Promise<TableRowCounts> {
    let items = 0;
    let messages = 0;
    for (const record of this.#users.records()) {
      items += record.items.length;
      messages += record.log.length;
    }
    return { items, messages, reminders: this.#reminders.size, estimated: false };
  }
}
