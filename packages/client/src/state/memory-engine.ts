/**
 * MemoryEngine: the in-memory state machine, following Keybase's MemEngine
 * (the rules are in docs/data-model.md), plus reminders, which Keybase's MemEngine does not have.
 * Every operation runs synchronously inside its call, so operations never interleave (Mem's mutex).
 */
import { gregorError } from '../errors.js';
import {
  bytesEqual,
  type DeviceID,
  encodeRecord,
  type InBandMessage,
  type Message,
  type Metadata,
  type MsgID,
  type ReminderID,
  type ReminderSet,
  type State,
  type StateUpdateMessage,
  type Time,
  type TimeOrOffset,
  type UID,
} from '../protocol/internal.js';
import { classifyMessage, inBandMetadata } from './consumable.js';
import type {
  Clock,
  Consumed,
  ConsumeOptions,
  LocalState,
  ReadOptions,
  StateMachine,
  WaitOptions,
} from './interfaces.js';
import { systemClock } from './interfaces.js';
import {
  filterStateByCategoryPrefix,
  isForDevice,
  isItemDismissedAt,
  isItemInState,
  isMessageForDevice,
  stateOfItems,
} from './item-rules.js';
import { MemoryRetention } from './memory-retention.js';
import {
  assertCreationFits,
  countsTowardQuota,
  type QuotaUsage,
  quotaBytesOf,
  type UserQuota,
} from './quota-rules.js';
import { ReminderTable } from './reminder-table.js';
import { MESSAGE_ENTRY_WIRE_BYTES, ResultBudget } from './result-budget.js';
import type { Retainable, RetentionStore } from './retention.js';
import { filterFutureDismissals, LoggedCTimes, sortSince } from './since-rules.js';
import { creationCTime, dismissalTime, isAtOrAfterSince, resolveQueryTime } from './time-rules.js';
import type { LogEntry, MemoryItem, UserRecord } from './user-record.js';
import { UserTable } from './user-table.js';

/** Mem's reminder lock duration (Keybase's ReminderLockDuration: 1 minute). */
export const DEFAULT_MEMORY_REMINDER_LOCK_MS = 60_000;

/** Options of the memory engine. */
export interface MemoryEngineOptions {
  /** The source of "now". @default systemClock */
  clock?: Clock;
  /** How long a handed-out reminder stays locked, ms. @default 60000 */
  reminderLockDurationMs?: number;
}

/** The in-memory StateMachine and client LocalState. */
export class MemoryEngine implements StateMachine, LocalState, Retainable {
  readonly isEphemeral = true;
  readonly clock: Clock;
  readonly reminderLockDurationMs: number;
  readonly #users = new UserTable();
  readonly #reminders = new ReminderTable();
  /** Deletes what lies past a horizon (retention.ts); only a server's retention job calls it. */
  readonly retention: RetentionStore;
  readonly #retention: MemoryRetention;
  #closed = false;

  constructor(options: MemoryEngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const lockMs = options.reminderLockDurationMs ?? DEFAULT_MEMORY_REMINDER_LOCK_MS;
    if (!Number.isFinite(lockMs) || lockMs < 0) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `reminderLockDurationMs must be a finite number ≥ 0, got ${lockMs}`,
      );
    }
    this.reminderLockDurationMs = lockMs;
    this.#retention = new MemoryRetention(this.#users, this.#reminders, this.clock);
    this.retention = this.#retention;
  }

  async consumeMessage(m: Message, opts?: ConsumeOptions): Promise<Message> {
    return (await this.consume(m, opts)).message;
  }

  async consume(m: Message, opts?: ConsumeOptions): Promise<Consumed> {
    this.#enter(opts);
    const c = classifyMessage(m);
    // An out-of-band message changes nothing and comes back unchanged.
    if (c.kind === 'oobm') return { message: c.message, isDuplicate: false };
    const now = this.clock.now();
    const user = this.#users.get(c.md.uid);
    const isDuplicate = user.logged(c.md.msgID) !== undefined;
    const ibm: InBandMessage =
      c.kind === 'update' ? { stateUpdate: c.update } : { stateSync: { md: c.md } };
    const entry =
      c.kind === 'update' ? this.#consumeUpdate(c.md, c.update, now, opts?.quota) : null;
    const logged = user.logMessage(entry ?? { msg: ibm, ctime: now, item: null });
    // Answer with the logged message, the first one for a duplicate msgID.
    return { message: { ibm: structuredClone(logged.msg) }, isDuplicate };
  }

  /**
   * Apply a stateUpdate and build its log entry. A duplicate msgID is idempotent — its
   * creation is ignored (the first one wins) but its dismissal is still applied.
   */
  #consumeUpdate(
    md: Metadata,
    update: StateUpdateMessage,
    now: Time,
    quota: UserQuota | undefined,
  ): LogEntry {
    const user = this.#users.get(md.uid);
    const first = user.logged(md.msgID);
    const creation = first === undefined ? update.creation : undefined;
    if (creation !== undefined && quota !== undefined) {
      const candidate = { ctime: creationCTime(md, now), dtime: creation.dtime, dismissed: false };
      // An item already expired on arrival never counts, so it never hits the quota either.
      if (countsTowardQuota(candidate, now)) {
        assertCreationFits(md.uid, usageOf(user, now), quotaBytesOf(creation), quota);
      }
    }
    const item = creation === undefined ? null : this.#addItem(md, creation, now);
    // The dismissal is applied after the creation, so a message may dismiss its own item.
    if (update.dismissal !== undefined) user.dismiss(update.dismissal, dismissalTime(md, now));
    // The logged ctime is stamped into md, as gregord's SetCTime does: the item's ctime for a
    // creation, else md.ctime or now. Mem logs a dismissal at now even with an explicit md.ctime; SQL
    // keeps md.ctime. We keep md.ctime so that a client's explicit time survives (the two agree
    // whenever the server stamps the message).
    const ctime = item?.ctime ?? creationCTime(md, now);
    return { msg: { stateUpdate: { ...update, md: { ...md, ctime } } }, ctime, item };
  }

  #addItem(
    md: Metadata,
    creation: NonNullable<StateUpdateMessage['creation']>,
    now: Time,
  ): MemoryItem {
    const candidate: MemoryItem = {
      uid: md.uid,
      msgID: md.msgID,
      deviceID: md.deviceID,
      ctime: creationCTime(md, now),
      category: creation.category,
      body: creation.body,
      dtime: creation.dtime,
      dismissed: false,
    };
    const item = this.#users.get(md.uid).addItem(candidate);
    if (item === candidate) this.#reminders.schedule(item, creation.remindTimes);
    return item;
  }

  async state(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    opts?: ReadOptions,
  ): Promise<State> {
    this.#enter(opts);
    const now = this.clock.now();
    const queryTime = resolveQueryTime(t, now);
    const budget = new ResultBudget(opts?.maxResultBytes, 'state');
    const visible: MemoryItem[] = [];
    for (const item of this.#users.find(uid)?.items ?? []) {
      if (!isItemInState(item, deviceID, queryTime, now)) continue;
      budget.addItem(item);
      visible.push(item);
    }
    return stateOfItems(visible);
  }

  async stateByCategoryPrefix(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    prefix: string,
    opts?: ReadOptions,
  ): Promise<State> {
    const state = await this.state(uid, deviceID, t, opts);
    return filterStateByCategoryPrefix(state, prefix);
  }

  async inBandMessagesSince(
    uid: UID,
    deviceID: DeviceID | null,
    since: Time,
    opts?: ReadOptions,
  ): Promise<InBandMessage[]> {
    this.#enter(opts);
    const now = this.clock.now();
    const budget = new ResultBudget(opts?.maxResultBytes, 'sync');
    const logged = new LoggedCTimes();
    const kept: LogEntry[] = [];
    for (const e of this.#users.find(uid)?.log ?? []) {
      if (!isMessageForDevice(e.msg, deviceID) || !isAtOrAfterSince(e.ctime, since)) continue;
      const md = inBandMetadata(e.msg)!;
      logged.add(md.msgID, e.ctime);
      // A creation whose item is dismissed or expired as of now is not replayed.
      if (e.item !== null && isItemDismissedAt(e.item, now)) continue;
      // The SQL engine stores these bytes; here they are counted only when a bound is asked for.
      if (opts?.maxResultBytes !== undefined) {
        budget.add(encodeRecord(e.msg).length + MESSAGE_ENTRY_WIRE_BYTES);
      }
      kept.push(e);
    }
    const ordered = sortSince(kept).map((e) => e.msg);
    return filterFutureDismissals(ordered, logged, since).map((m) => structuredClone(m));
  }

  async latestCTime(uid: UID, deviceID: DeviceID | null, opts?: WaitOptions): Promise<Time | null> {
    this.#enter(opts);
    const log = this.#users.find(uid)?.log ?? [];
    // LatestCTime: the last creation in arrival order that the device sees, dismissed or not.
    for (let i = log.length - 1; i >= 0; i--) {
      const e = log[i]!;
      if (e.item !== null && isForDevice(e.item.deviceID, deviceID)) return e.ctime;
    }
    return null;
  }

  async reminders(max: number, opts?: WaitOptions): Promise<ReminderSet> {
    this.#enter(opts);
    return this.#reminders.take(max, this.clock.now(), this.reminderLockDurationMs);
  }

  async deleteReminder(id: ReminderID, opts?: WaitOptions): Promise<void> {
    this.#enter(opts);
    this.#reminders.delete(id);
  }

  async clear(opts?: WaitOptions): Promise<void> {
    this.#enter(opts);
    this.#users.clear();
    this.#reminders.clear();
    this.#retention.reset();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#users.clear();
    this.#reminders.clear();
  }

  /**
   * InitState: add every item under its own uid (deduplicated by msgID; ctime = the item's or
   * now) and log its creation message at that ctime. It does not clear first.
   */
  initState(state: State): void {
    this.#enter();
    const now = this.clock.now();
    for (const [index, iam] of state.items.entries()) {
      const { md, item } = iam;
      if (md === undefined || item === undefined) {
        throw gregorError(
          'GREGOR_ERR_INPUT_INVALID',
          `initState: items[${index}] lacks md or item`,
        );
      }
      const c = classifyMessage({ ibm: { stateUpdate: { md, creation: item } } });
      if (c.kind !== 'update') continue;
      const added = this.#addItem(c.md, c.update.creation!, now);
      const stamped = { ...c.md, ctime: added.ctime };
      this.#users.get(c.md.uid).logMessage({
        msg: { stateUpdate: { md: stamped, creation: c.update.creation! } },
        ctime: added.ctime,
        item: added,
      });
    }
  }

  localDismissals(uid: UID): MsgID[] {
    this.#enter();
    return [...(this.#users.find(uid)?.localDismissals ?? [])];
  }

  initLocalDismissals(uid: UID, ids: MsgID[]): void {
    this.#enter();
    this.#users.get(uid).localDismissals = [...ids];
  }

  consumeLocalDismissal(uid: UID, id: MsgID): void {
    this.#enter();
    this.#users.get(uid).addLocalDismissal(id);
  }

  outbox(uid: UID): Message[] {
    this.#enter();
    return [...(this.#users.find(uid)?.outbox ?? [])];
  }

  initOutbox(uid: UID, msgs: Message[]): void {
    this.#enter();
    this.#users.get(uid).outbox = [...msgs];
  }

  consumeOutboxMessage(uid: UID, m: Message): void {
    this.#enter();
    this.#users.get(uid).outbox.push(m);
  }

  /** Drop the outbox messages whose in-band msgID is `id`; out-of-band ones stay. */
  removeFromOutbox(uid: UID, id: MsgID): void {
    this.#enter();
    const user = this.#users.get(uid);
    user.outbox = user.outbox.filter((m) => {
      const md = m.ibm === undefined ? undefined : inBandMetadata(m.ibm);
      return md === undefined || !bytesEqual(md.msgID, id);
    });
  }

  /** Reject a call on a closed engine or with an aborted signal, before it touches anything. */
  #enter(opts?: WaitOptions): void {
    if (this.#closed) throw gregorError('GREGOR_ERR_CLOSED', 'state machine is closed');
    if (opts?.signal?.aborted === true) {
      throw gregorError('GREGOR_ERR_ABORTED', 'state machine call aborted', {
        cause: opts.signal.reason,
      });
    }
  }
}

/** What `user` holds toward its quota at `now` (quota-rules.ts). */
function usageOf(user: UserRecord, now: Time): QuotaUsage {
  const usage: QuotaUsage = { items: 0, bytes: 0 };
  for (const item of user.items) {
    if (!countsTowardQuota(item, now)) continue;
    usage.items += 1;
    usage.bytes += quotaBytesOf(item);
  }
  return usage;
}
