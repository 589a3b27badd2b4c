/**
 * What a backend may do for any user without a gregor.1 session: the operations of the HTTP API
 * (server-api.md). Each one runs the code of its gregor.1 method (consumeMessage,
 * consumeMessageMulti, sync, state, describeConnectedUsers, getReminders, deleteReminders), so it
 * goes through the same pipeline (validate → store → publish → broadcast) with the same limits
 * and errors. The caller has already authenticated the backend: these act as the superuser.
 */
import { gregorError } from 'gregor-client/errors';
import type {
  ConnectedUser,
  Message,
  ReminderID,
  ReminderSet,
  State,
  SyncResult,
  UID,
} from 'gregor-client/protocol';
import type { Consumed } from 'gregor-client/state';
import { claimReminders, deleteRemindersInOrder, describeCluster } from './admin-handlers.js';
import { consumeForEach, counted, validated } from './consume-handlers.js';
import type { DispatchServices } from './dispatch-services.js';
import { readState, readSync, type StateQuery, type SyncQuery } from './query-handlers.js';

/** The backend operations of one server. */
export class BackendOperations {
  readonly #services: DispatchServices;

  constructor(services: DispatchServices) {
    this.#services = services;
  }

  /**
   * Store (when in-band) and deliver `m` to its user's devices on every instance. Resolves with
   * the message as stored and whether its msgID was a retry. While the bus is down it is refused
   * with GREGOR_ERR_BUS_FAILED before anything is stored: a backend retries it whole, rather than
   * have it stored here but never reach the devices on the other instances.
   */
  consume(m: Message): Promise<Consumed> {
    return counted(this.#services, 'message', async () => {
      const uid = validated(this.#services, m);
      this.#assertBusReady();
      return this.#services.hub.consume(uid, m);
    });
  }

  /** A copy of `m` for each of `uids` (consumeMessageMulti); refused like `consume` while the bus is down. */
  consumeForEach(uids: readonly UID[], m: Message): Promise<Consumed[]> {
    this.#assertBusReady();
    return consumeForEach(this.#services, uids, m);
  }

  /** The log since `ctime` and the state hash, as `sync` answers; a read of `caller`. */
  sync(caller: object, arg: SyncQuery, signal: AbortSignal): Promise<SyncResult> {
    return readSync(this.#services, caller, arg, signal);
  }

  /** The state (of one category prefix when given), as `state` answers; a read of `caller`. */
  state(caller: object, arg: StateQuery, signal: AbortSignal): Promise<State> {
    return readState(this.#services, caller, arg, signal);
  }

  /** The connected devices of `uids` on every instance (describeConnectedUsers). */
  presence(uids: readonly UID[], signal: AbortSignal): Promise<ConnectedUser[]> {
    return describeCluster(this.#services, uids, signal);
  }

  /** Up to `max` due reminders, locked for this caller (getReminders). */
  claimReminders(max: number, signal: AbortSignal): Promise<ReminderSet> {
    return claimReminders(this.#services, max, signal);
  }

  /** Delete handled reminders (deleteReminders). */
  deleteReminders(ids: readonly ReminderID[], signal: AbortSignal): Promise<void> {
    return deleteRemindersInOrder(this.#services, ids, signal);
  }

  #assertBusReady(): void {
    if (!this.#services.bus.isReady) {
      throw gregorError(
        'GREGOR_ERR_BUS_FAILED',
        'the pub/sub bus is not connected; nothing was stored, retry later',
      );
    }
  }
}
