/**
 * GregorClient: the client library as one object (docs/client.md; Keybase's
 * `go/gregor/client/client.go`). A thin facade, so the logic stays in these named components:
 * - LocalReplica: the local copy (a MemoryEngine), local dismissals, outbox, persistence;
 * - Syncer: sync since LatestCTime, fresh sync on a hash mismatch;
 * - Outbox: sends queued in-band writes, every `outboxIntervalMs` and when poked;
 * - BroadcastReceiver: applies the server's broadcasts;
 * - SessionKeeper + Reconnector: connect, log in, sync, send the outbox; reconnect per policy.
 * Transport-agnostic: the caller's `connect` opens the session (node.ts has TCP and WebSocket).
 */
import { type GregorError, gregorError } from '../errors.js';
import {
  bytesEqual,
  type InBandMessage,
  type Message,
  type MsgID,
  messageUID,
  type State,
  SUPER_UID,
  type Time,
  type TimeOrOffset,
  toHex,
  validateConsumeMessage,
} from '../protocol/index.js';
import { BroadcastReceiver } from './broadcast-receiver.js';
import { type ClientEventMap, type ClientEventName, ClientEvents } from './client-events.js';
import { runInBackground } from './client-logger.js';
import {
  type ClientSettings,
  type GregorClientOptions,
  resolveClientSettings,
} from './client-options.js';
import { LocalReplica } from './local-replica.js';
import { Outbox, type OutboxPass } from './outbox.js';
import { Reconnector } from './reconnector.js';
import type { Remote } from './remote.js';
import { type Deferred, deferred } from './serial.js';
import { SessionKeeper } from './session-keeper.js';
import { type ClientStatus, StatusStream } from './status-stream.js';
import { Syncer, type SyncOutcome } from './syncer.js';

/** The lifecycle of a client: created → started → closed. */
export const CLIENT_STATE = { created: 'created', started: 'started', closed: 'closed' } as const;
/** A lifecycle state of a client. */
export type ClientState = (typeof CLIENT_STATE)[keyof typeof CLIENT_STATE];

const notConnected = (what: string): GregorError =>
  gregorError('GREGOR_ERR_CLOSED', `not connected: ${what}`);

/** A device's connection to gregord and its local copy of the user's state. */
export class GregorClient {
  /** The user. */
  readonly uid: ClientSettings['uid'];
  /** This device, or null. */
  readonly deviceID: ClientSettings['deviceID'];
  readonly #settings: ClientSettings;
  readonly #events: ClientEvents;
  readonly #statuses: StatusStream<ClientStatus>;
  readonly #replica: LocalReplica;
  readonly #syncer: Syncer;
  readonly #outbox: Outbox;
  readonly #keeper: SessionKeeper;
  #state: ClientState = CLIENT_STATE.created;
  #loop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #firstConnect: Deferred<void> | undefined;
  readonly #closed = deferred<GregorError | undefined>();

  /** Validate `options` (GREGOR_ERR_CONFIG_INVALID names the bad one) and wire the components. */
  constructor(options: GregorClientOptions) {
    const settings = resolveClientSettings(options);
    const { logger } = settings;
    this.#settings = settings;
    this.uid = settings.uid;
    this.deviceID = settings.deviceID;
    this.#events = new ClientEvents(logger);
    this.#statuses = new StatusStream<ClientStatus>(
      { type: 'disconnected', error: undefined },
      settings.statusBufferSize,
    );
    this.#replica = new LocalReplica({ ...settings, logger });
    this.#syncer = new Syncer(this.#replica, logger, settings.syncTimeoutMs);
    const receiver = new BroadcastReceiver({
      replica: this.#replica,
      events: this.#events,
      onResync: () => runInBackground(this.sync(), logger, 'sync asked for by the server'),
      logger,
    });
    this.#outbox = new Outbox({
      replica: this.#replica,
      send: (remote, m) => this.#send(remote, m),
      remote: () => this.#keeper.remote,
      onRejected: (m, err) => this.#events.emit('rejected', m, err),
      onAcknowledged: (m) => this.#events.emit('acknowledged', m),
      timers: settings.timers,
      intervalMs: settings.outboxIntervalMs,
      logger,
    });
    this.#keeper = new SessionKeeper({
      connect: settings.connect,
      reconnector: new Reconnector(settings.reconnect, settings.timers),
      open: async (remote) => {
        remote.serve('broadcastMessage', ({ m }) => receiver.receive(m));
        await this.#logIn(remote);
        await this.#syncOver(remote);
        await this.#outbox.drain(remote);
      },
      report: (status) => this.#report(status),
      logger,
    });
  }

  /** Where the client is in its lifecycle. */
  get state(): ClientState {
    return this.#state;
  }

  /** The latest status. */
  get currentStatus(): ClientStatus {
    return this.#statuses.current;
  }

  /**
   * Connect and keep connected: on each connection, serve broadcasts, log in, sync and send the
   * outbox; after a drop, reconnect per the policy. Resolves at the first `connected`; rejects with
   * the final error if the client closes first. The client is usable before that: in-band writes
   * wait in the outbox. Rejects with GREGOR_ERR_LIFECYCLE_STATE when called twice.
   */
  start(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(this.#closedError());
    if (this.#state === CLIENT_STATE.started) {
      return Promise.reject(gregorError('GREGOR_ERR_LIFECYCLE_STATE', 'client already started'));
    }
    this.#state = CLIENT_STATE.started;
    const firstConnect = deferred<void>();
    // Marked handled: a caller that never awaits start() must not get an unhandled rejection.
    firstConnect.promise.catch(() => undefined);
    this.#firstConnect = firstConnect;
    this.#outbox.start();
    this.#loop = this.#keeper.run().then((err) => {
      // The policy gave up: close with that error (a stop by close() resolves undefined).
      if (err !== undefined) this.#closing ??= this.#shutdown(err);
    });
    return firstConnect.promise;
  }

  /** Close: stop reconnecting, close the session, save, report `closed`. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(undefined);
    return this.#closing;
  }

  /** Resolves once closed, with the error that closed it (undefined after `close()`). */
  closed(): Promise<GregorError | undefined> {
    return this.#closed.promise;
  }

  /** The statuses from now on, starting with the current one; ends after `closed`. */
  status(): AsyncIterableIterator<ClientStatus> {
    return this.#statuses.iterate();
  }

  /** Call `listener` on every `event`; returns the function that removes it. */
  on<E extends ClientEventName>(
    event: E,
    listener: (...args: ClientEventMap[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Remove a listener added with `on`. */
  off<E extends ClientEventName>(event: E, listener: (...args: ClientEventMap[E]) => void): void {
    this.#events.off(event, listener);
  }

  /** Sync now, then send the outbox. Rejects with GREGOR_ERR_CLOSED when not connected. */
  async sync(): Promise<SyncOutcome> {
    const remote = this.#connected('sync');
    const outcome = await this.#syncOver(remote);
    this.#outbox.poke();
    return outcome;
  }

  /**
   * ConsumeMessage. An out-of-band message goes straight to the server (so it needs a
   * connection). An in-band one is queued in the outbox, which is poked and saved; it is not
   * applied here: it comes back from the server as a broadcast. Rejects with GREGOR_ERR_INPUT_INVALID
   * for a message the server would refuse, or one for another user.
   */
  async consumeMessage(m: Message): Promise<void> {
    this.#assertOpen();
    // A message the server refuses would otherwise sit at the head of the outbox.
    validateConsumeMessage(m);
    const uid = messageUID(m);
    if (uid === null || !bytesEqual(uid, this.uid)) {
      throw gregorError(
        'GREGOR_ERR_INPUT_INVALID',
        'invalid consume call: message for another user',
      );
    }
    if (m.oobm !== undefined) {
      await this.#send(this.#connected('out-of-band messages are not queued'), m);
      return;
    }
    this.#replica.enqueue(m);
    this.#outbox.poke();
    await this.#replica.save();
  }

  /** Send the outbox now over the current connection (a no-op pass when disconnected). */
  async drainOutbox(): Promise<OutboxPass> {
    this.#assertOpen();
    return this.#outbox.drain();
  }

  /**
   * Remove the queued in-band message `msgID` from the outbox, unless it is being sent at this
   * moment. Resolves true when it was removed (and the outbox saved): it will never be sent.
   */
  withdraw(msgID: MsgID): Promise<boolean> {
    this.#assertOpen();
    return this.#outbox.withdraw(msgID);
  }

  /**
   * StateMachineState: State(user, device, t) (`t` null: now, no creation-time filter); with
   * `applyLocalState`, without the locally dismissed items and with the outbox applied.
   */
  async stateMachineState(t: TimeOrOffset | null, applyLocalState: boolean): Promise<State> {
    this.#assertOpen();
    return this.#replica.stateMachineState(t, applyLocalState);
  }

  /**
   * StateMachineInBandMessagesSince: the local log since `since` (ms); with
   * `filterLocalDismissals`, without the messages whose own msgID is locally dismissed.
   */
  async inBandMessagesSince(since: Time, filterLocalDismissals: boolean): Promise<InBandMessage[]> {
    this.#assertOpen();
    return this.#replica.inBandMessagesSince(since, filterLocalDismissals);
  }

  /** ConsumeLocalDismissal: hide item `id` on this device only, then save. */
  async consumeLocalDismissal(id: MsgID): Promise<void> {
    this.#assertOpen();
    this.#replica.consumeLocalDismissal(id);
    await this.#replica.save();
  }

  /** The local dismissals, oldest first. */
  localDismissals(): MsgID[] {
    return this.#replica.localDismissals();
  }

  /** The messages waiting to be sent, in order. */
  outbox(): Message[] {
    return this.#replica.outbox();
  }

  /** The ctime of the latest creation this device saw, or null (Keybase's LatestCTime). */
  latestCTime(): Promise<Time | null> {
    return this.#replica.latestCTime();
  }

  /** The hash of the local State(user, device, nil), as `sync` compares it with the server's. */
  stateHash(): Promise<Uint8Array> {
    return this.#replica.hash();
  }

  /** Save the local copy to the storage (a no-op without storage). */
  save(): Promise<void> {
    return this.#replica.save();
  }

  /** Restore from the storage; resolves false when nothing was saved. */
  async restore(): Promise<boolean> {
    this.#assertOpen();
    const restored = await this.#replica.restore();
    if (restored) await this.#emitState();
    return restored;
  }

  async #logIn(remote: Remote): Promise<void> {
    const { token, callTimeoutMs } = this.#settings;
    const auth = await remote.call(
      'authenticateSessionToken',
      { session: await token() },
      { timeoutMs: callTimeoutMs },
    );
    if (!bytesEqual(auth.uid, this.uid) && !bytesEqual(auth.uid, SUPER_UID)) {
      throw gregorError(
        'GREGOR_ERR_AUTH_MISMATCHED_UID',
        `mismatched UIDs: the token is for ${toHex(auth.uid)}, the client for ${toHex(this.uid)}`,
      );
    }
  }

  /** Sync, tell the listeners, save (a failed save is logged: the sync itself succeeded). */
  async #syncOver(remote: Remote): Promise<SyncOutcome> {
    const outcome = await this.#syncer.sync(remote);
    this.#events.emit('sync', outcome);
    if (outcome.isFresh || outcome.messages.length > 0) await this.#emitState();
    try {
      await this.#replica.save();
    } catch (err) {
      this.#settings.logger.warn({ err }, 'saving after a sync failed');
    }
    return outcome;
  }

  async #send(remote: Remote, m: Message): Promise<void> {
    await remote.call('consumeMessage', { m }, { timeoutMs: this.#settings.callTimeoutMs });
  }

  async #emitState(): Promise<void> {
    if (this.#events.listenerCount('state') === 0) return;
    this.#events.emit('state', await this.#replica.state());
  }

  #report(status: ClientStatus): void {
    this.#statuses.push(status);
    this.#events.emit('status', status);
    if (status.type === 'connected') this.#firstConnect?.resolve();
  }

  #connected(what: string): Remote {
    this.#assertOpen();
    const remote = this.#keeper.remote;
    if (remote === undefined) throw notConnected(what);
    return remote;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw this.#closedError();
  }

  #closedError(): GregorError {
    return gregorError('GREGOR_ERR_CLOSED', 'client closed');
  }

  async #shutdown(error: GregorError | undefined): Promise<void> {
    this.#outbox.stop();
    this.#keeper.stop();
    await this.#loop;
    try {
      await this.#replica.save();
    } catch (err) {
      this.#settings.logger.warn({ err }, 'saving at close failed');
    }
    this.#state = CLIENT_STATE.closed;
    this.#firstConnect?.reject(error ?? this.#closedError());
    this.#statuses.push({ type: 'closed', error }, true);
    this.#events.emit('status', { type: 'closed', error });
    this.#closed.resolve(error);
  }
}
