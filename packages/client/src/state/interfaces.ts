/**
 * The small interfaces of the state layer (Keybase's one StateMachine, split: readers, consumers
 * and reminder sources are separate so that each user needs only what it uses).
 */
import type {
  DeviceID,
  InBandMessage,
  Message,
  MsgID,
  ReminderID,
  ReminderSet,
  State,
  Time,
  TimeOrOffset,
  UID,
} from '../protocol/index.js';
import type { UserQuota } from './quota-rules.js';

/** The source of "now" for every rule. Rule code never calls Date.now(), so tests set the time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Options accepted by every I/O wait, so that no wait lasts for ever. */
export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of a consume. */
export interface ConsumeOptions extends WaitOptions {
  /**
   * Refuse a creation that would take its user past this quota (GREGOR_ERR_QUOTA_EXCEEDED), in
   * the same step that applies it. @default no quota
   */
  quota?: UserQuota;
}

/** Options of a read. */
export interface ReadOptions extends WaitOptions {
  /**
   * Refuse an answer whose encoding would pass this many bytes (GREGOR_ERR_RESULT_TOO_LARGE),
   * before it is built whole. @default no bound
   */
  maxResultBytes?: number;
}

/**
 * Consumes messages into a user's state (Keybase's ConsumeMessage). Calls apply in the order they
 * were made, also when one is made before the previous ones resolved: gregord hands a user's
 * queued consumes over together and relies on that order (each call still answers on its own).
 */
export interface MessageConsumer {
  /**
   * Apply `m`. Resolves with the message as logged: for an in-band state update, `md.ctime` is the
   * stamped ctime; for a duplicate msgID, the first logged message (idempotent).
   * Out-of-band messages change nothing and come back unchanged.
   */
  consumeMessage(m: Message, opts?: ConsumeOptions): Promise<Message>;
  /**
   * consumeMessage, also telling whether the msgID was logged before (a retry): what gregord's
   * pipeline calls, so that a caller can answer a repeated ID differently from a new one.
   */
  consume(m: Message, opts?: ConsumeOptions): Promise<Consumed>;
}

/** What `consume` resolves with. */
export interface Consumed {
  /** The message as logged (see `consumeMessage`). */
  readonly message: Message;
  /** True when the msgID was already logged: nothing new was created (a dismissal still applied). */
  readonly isDuplicate: boolean;
}

/** Reads a user's state (as Keybase's State, StateByCategoryPrefix, InBandMessagesSince, …). */
export interface StateReader {
  /** Visible items of `uid` for device `deviceID` (null: all) as of `t` (null: now, no ctime filter). */
  state(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    opts?: ReadOptions,
  ): Promise<State>;
  stateByCategoryPrefix(
    uid: UID,
    deviceID: DeviceID | null,
    t: TimeOrOffset | null,
    prefix: string,
    opts?: ReadOptions,
  ): Promise<State>;
  /** In-band messages logged at or after `since`, as `sync` chooses them (docs/data-model.md). */
  inBandMessagesSince(
    uid: UID,
    deviceID: DeviceID | null,
    since: Time,
    opts?: ReadOptions,
  ): Promise<InBandMessage[]>;
  /** The logged ctime of the latest creation visible to `deviceID`, or null. */
  latestCTime(uid: UID, deviceID: DeviceID | null, opts?: WaitOptions): Promise<Time | null>;
}

/** Due reminders, locked while they are handed out (Keybase's Reminders). */
export interface ReminderSource {
  /** Up to `max` due reminders (0 or more than 1000 means 1000), oldest first, each locked. */
  reminders(max: number, opts?: WaitOptions): Promise<ReminderSet>;
  deleteReminder(id: ReminderID, opts?: WaitOptions): Promise<void>;
  /** How long a handed-out reminder stays locked, in ms. */
  readonly reminderLockDurationMs: number;
}

/** A server-side state machine: what every engine (memory, SQLite, PostgreSQL, MySQL) provides. */
export interface StateMachine extends MessageConsumer, StateReader, ReminderSource {
  /** True for engines that keep nothing across restarts (the memory engine). */
  readonly isEphemeral: boolean;
  readonly clock: Clock;
  /** Forget every user. */
  clear(opts?: WaitOptions): Promise<void>;
  /** Release connections and timers; idempotent. */
  close(): Promise<void>;
}

/** The client-only parts a device keeps beside its local copy of the state. */
export interface LocalState {
  initState(state: State): void;
  localDismissals(uid: UID): MsgID[];
  initLocalDismissals(uid: UID, ids: MsgID[]): void;
  consumeLocalDismissal(uid: UID, id: MsgID): void;
  outbox(uid: UID): Message[];
  initOutbox(uid: UID, msgs: Message[]): void;
  consumeOutboxMessage(uid: UID, m: Message): void;
  removeFromOutbox(uid: UID, id: MsgID): void;
}
