/**
 * The device's local copy of its user's state (docs/client.md): a MemoryEngine (the client keeps
 * the semantics of Keybase's MemEngine) for one user and device, its local dismissals and outbox,
 * and their persistence. Changes to the copy (a sync, a broadcast, a fresh sync, a restore) run one
 * at a time through `exclusive`.
 */
import { gregorError } from '../errors.js';
import {
  bytesEqual,
  type DeviceID,
  type InBandMessage,
  type Message,
  type MsgID,
  type State,
  stateHash,
  type Time,
  type TimeOrOffset,
  toHex,
  type UID,
} from '../protocol/index.js';
import { type Clock, MemoryEngine } from '../state/index.js';
import type { ClientLogger } from './client-logger.js';
import type { ClientStorage } from './client-storage.js';
import {
  decodeSavedLocal,
  decodeSavedState,
  encodeSavedLocal,
  encodeSavedState,
  storageKeys,
} from './persistence.js';
import { Coalescing, Serial } from './serial.js';

/** What a replica is built from. */
export interface LocalReplicaOptions {
  uid: UID;
  deviceID: DeviceID | null;
  clock: Clock;
  storage: ClientStorage | undefined;
  logger: ClientLogger;
}

function storageFailed(what: string, cause: unknown): Error {
  return gregorError('GREGOR_ERR_STORAGE_FAILED', `cannot ${what} the client state`, { cause });
}

/** The in-band msgID of `m`, or undefined for an out-of-band message. */
export function inBandMsgID(m: Message): MsgID | undefined {
  return (m.ibm?.stateUpdate?.md ?? m.ibm?.stateSync?.md)?.msgID;
}

/** One user's local state on this device. */
export class LocalReplica {
  /** The user. */
  readonly uid: UID;
  /** This device, or null for none. */
  readonly deviceID: DeviceID | null;
  readonly #clock: Clock;
  readonly #engine: MemoryEngine;
  readonly #storage: ClientStorage | undefined;
  readonly #logger: ClientLogger;
  readonly #changes = new Serial();
  readonly #saves = new Coalescing();

  constructor(options: LocalReplicaOptions) {
    this.uid = options.uid;
    this.deviceID = options.deviceID;
    this.#clock = options.clock;
    this.#engine = new MemoryEngine({ clock: options.clock });
    this.#storage = options.storage;
    this.#logger = options.logger;
  }

  /** Run `change` after every change queued before it, and before any queued after it. */
  exclusive<T>(change: () => Promise<T>): Promise<T> {
    return this.#changes.run(change);
  }

  /** State(user, device, t): `t` null means now, without a creation-time filter. */
  state(t: TimeOrOffset | null = null): Promise<State> {
    return this.#engine.state(this.uid, this.deviceID, t);
  }

  /** The state hash of State(user, device, nil), as `sync` compares it. */
  async hash(): Promise<Uint8Array> {
    return stateHash(await this.state());
  }

  /** True when `msgID` is an item of State(user, device, nil) (Keybase's GetItem). */
  async hasItem(msgID: MsgID): Promise<boolean> {
    const state = await this.state();
    return state.items.some((i) => i.md !== undefined && bytesEqual(i.md.msgID, msgID));
  }

  /** Consume `m` into the local engine; resolves with the message as logged. */
  consume(m: Message): Promise<Message> {
    return this.#engine.consumeMessage(m);
  }

  /** The ctime of the latest creation this device sees (Keybase's LatestCTime), or null. */
  latestCTime(): Promise<Time | null> {
    return this.#engine.latestCTime(this.uid, this.deviceID);
  }

  /**
   * The local log since `since` (Keybase's InBandMessagesSince) for this device; with
   * `filterLocalDismissals`, minus the messages whose own msgID is locally dismissed.
   */
  async inBandMessagesSince(since: Time, filterLocalDismissals = false): Promise<InBandMessage[]> {
    const msgs = await this.#engine.inBandMessagesSince(this.uid, this.deviceID, since);
    if (!filterLocalDismissals) return msgs;
    const dismissed = new Set(this.localDismissals().map(toHex));
    return msgs.filter((ibm) => {
      const msgID = inBandMsgID({ ibm });
      return msgID === undefined || !dismissed.has(toHex(msgID));
    });
  }

  /**
   * Replace the state by `state` (Keybase's freshSync: Clear, then InitState). Mem's Clear also
   * wipes the outbox and the local dismissals; we keep the outbox, whose messages have not reached
   * the server yet (the outbox outlives the connection), and the local dismissals of items the new
   * state still has.
   */
  async replaceState(state: State): Promise<void> {
    const outbox = this.outbox();
    const present = new Set(state.items.map((i) => (i.md === undefined ? '' : toHex(i.md.msgID))));
    const dismissals = this.localDismissals().filter((id) => present.has(toHex(id)));
    await this.#engine.clear();
    this.#engine.initState(state);
    this.#engine.initOutbox(this.uid, outbox);
    this.#engine.initLocalDismissals(this.uid, dismissals);
  }

  /** The local dismissals, oldest first. */
  localDismissals(): MsgID[] {
    return this.#engine.localDismissals(this.uid);
  }

  /** Hide item `id` on this device (no duplicates, the latest last). */
  consumeLocalDismissal(id: MsgID): void {
    this.#engine.consumeLocalDismissal(this.uid, id);
  }

  /** The queued messages, in order. */
  outbox(): Message[] {
    return this.#engine.outbox(this.uid);
  }

  /** Queue `m` at the end of the outbox. */
  enqueue(m: Message): void {
    this.#engine.consumeOutboxMessage(this.uid, m);
  }

  /** Drop the queued in-band messages whose msgID is `msgID`. */
  removeFromOutbox(msgID: MsgID): void {
    this.#engine.removeFromOutbox(this.uid, msgID);
  }

  /**
   * StateMachineState: State(user, device, t); with `applyLocalState`, minus the locally
   * dismissed items, then with the outbox applied on a scratch engine, so that writes not yet
   * echoed by the server show at once.
   */
  async stateMachineState(t: TimeOrOffset | null, applyLocalState: boolean): Promise<State> {
    const state = await this.state(t);
    if (!applyLocalState) return state;
    const dismissed = new Set(this.localDismissals().map(toHex));
    const scratch = new MemoryEngine({ clock: this.#clock });
    scratch.initState({
      items: state.items.filter((i) => i.md === undefined || !dismissed.has(toHex(i.md.msgID))),
    });
    for (const m of this.outbox()) {
      try {
        await scratch.consumeMessage(m);
      } catch (err) {
        this.#logger.warn({ err }, 'an outbox message does not apply to the local state');
      }
    }
    return scratch.state(this.uid, this.deviceID, t);
  }

  /**
   * Save the state, the local dismissals and the outbox (Keybase's Save). Saves run in order and a
   * burst shares one write. The snapshot is taken in line with the changes, never halfway through
   * one.
   */
  save(): Promise<void> {
    const storage = this.#storage;
    if (storage === undefined) return Promise.resolve();
    return this.#saves.run(async () => {
      const keys = storageKeys(this.uid);
      const [state, local] = await this.exclusive(async () => [
        encodeSavedState(await this.state()),
        encodeSavedLocal({ localDismissals: this.localDismissals(), outbox: this.outbox() }),
      ]);
      try {
        await storage.put(keys.state, state);
        await storage.put(keys.local, local);
      } catch (err) {
        throw storageFailed('save', err);
      }
    });
  }

  /**
   * Restore: the local dismissals and the outbox (a bad blob is only logged), then InitState of
   * the saved state. Like Keybase's, it does not clear first. Resolves false when nothing was saved.
   */
  restore(): Promise<boolean> {
    const storage = this.#storage;
    if (storage === undefined) return Promise.resolve(false);
    return this.exclusive(async () => {
      const keys = storageKeys(this.uid);
      let stateBytes: Uint8Array | undefined;
      let localBytes: Uint8Array | undefined;
      try {
        [stateBytes, localBytes] = await Promise.all([
          storage.get(keys.state),
          storage.get(keys.local),
        ]);
      } catch (err) {
        throw storageFailed('restore', err);
      }
      if (stateBytes === undefined) return false;
      const state = decodeSavedState(stateBytes);
      if (localBytes !== undefined) {
        try {
          const local = decodeSavedLocal(localBytes);
          this.#engine.initLocalDismissals(this.uid, local.localDismissals);
          this.#engine.initOutbox(this.uid, local.outbox);
        } catch (err) {
          this.#logger.warn({ err }, 'saved local dismissals and outbox ignored');
        }
      }
      this.#engine.initState(state);
      return true;
    });
  }
}
