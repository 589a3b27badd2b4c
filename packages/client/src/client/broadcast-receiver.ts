/**
 * The client's `gregor.1.outgoing.broadcastMessage` handler: gregord sends every message consumed
 * for this user to each of its connections,
 * including the one that sent it, and that echo is how an outbox write reaches the local state.
 */
import { gregorError } from '../errors.js';
import { bytesEqual, type Message, messageUID, RESYNC_SYSTEM } from '../protocol/index.js';
import type { ClientEvents } from './client-events.js';
import { type ClientLogger, runInBackground } from './client-logger.js';
import { inBandMsgID, type LocalReplica } from './local-replica.js';

/** What the receiver needs around it. */
export interface BroadcastReceiverOptions {
  replica: LocalReplica;
  events: ClientEvents;
  /**
   * Called for the server's resync signal, and when an in-band broadcast arrives with a server
   * ctime older than one already received; starts a sync without waiting for it.
   */
  onResync: () => void;
  logger: ClientLogger;
}

/** Applies broadcasts to the local state and reports them as events. */
export class BroadcastReceiver {
  readonly #opts: BroadcastReceiverOptions;
  /** The greatest server-stamped ctime of an in-band broadcast received so far. */
  #latestCTime = 0;

  constructor(options: BroadcastReceiverOptions) {
    this.#opts = options;
  }

  /**
   * Handle one broadcast. Rejects (and the server is answered with the error) for a message with
   * neither part ("invalid gregor message"), for another user's message, and for an in-band
   * message whose item is already in the local state ("ignored repeat message").
   */
  async receive(m: Message): Promise<void> {
    const { replica, events } = this.#opts;
    if (m.ibm === undefined && m.oobm === undefined) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'invalid gregor message');
    }
    const uid = messageUID(m);
    if (uid === null || !bytesEqual(uid, replica.uid)) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'broadcast for another user');
    }
    if (m.ibm === undefined) {
      if (m.oobm?.system === RESYNC_SYSTEM) {
        events.emit('resync');
        this.#opts.onResync();
      } else {
        events.emit('message', m);
      }
      return;
    }
    await this.#receiveInBand(m);
    this.#checkOrder(m);
    events.emit('message', m);
    if (events.listenerCount('state') > 0) events.emit('state', await replica.state());
    runInBackground(replica.save(), this.#opts.logger, 'saving after a broadcast');
  }

  /**
   * Messages a user consumes through different gregord instances reach this device through the
   * bus with no order between them (docs/scale-out.md "Order"). Applied out of order, a dismissal
   * can miss the item it names; an older server ctime after a newer one is the sign of that, and a
   * sync (since the latest creation, then the hash check) puts the state right.
   */
  #checkOrder(m: Message): void {
    const ctime = m.ibm?.stateUpdate?.md.ctime ?? 0;
    if (ctime === 0) return;
    if (ctime < this.#latestCTime) this.#opts.onResync();
    else this.#latestCTime = ctime;
  }

  async #receiveInBand(m: Message): Promise<void> {
    const { replica } = this.#opts;
    const msgID = inBandMsgID(m);
    await replica.exclusive(async () => {
      // gregord may deliver a message twice (a sync and its broadcast crossing, a resend);
      // the state is unchanged either way, and the error tells the server it was a repeat.
      if (msgID !== undefined && (await replica.hasItem(msgID))) {
        throw gregorError('GREGOR_ERR_CLIENT_REPEAT_MESSAGE');
      }
      await replica.consume(m);
    });
  }
}
