/**
 * Delivery: one message on its way through the Pipeline (storage, publisher, broadcaster). It
 * carries the message as stamped so far, the user's actor as it was when the mailbox job started,
 * and the broadcast bytes, encoded at most once and shared by the publisher and the broadcaster.
 */
import type { Message, UID } from 'gregor-client/protocol';
import { encodeBroadcastArgs } from './broadcast-payload.js';
import type { UserActor } from './user-actor.js';

/** One message going through the consumers, in its user's mailbox lane. */
export class Delivery {
  /** The user the message is for. */
  readonly uid: UID;
  /** The user's local connections when the job started; undefined when there are none. */
  readonly recipients: UserActor | undefined;
  /** Set by storage: the msgID was logged before (a retry), so nothing new was created. */
  isDuplicate = false;
  #message: Message;
  #encoded: Uint8Array | undefined;

  constructor(uid: UID, message: Message, recipients: UserActor | undefined) {
    this.uid = uid;
    this.#message = message;
    this.recipients = recipients;
  }

  /** The message, with the stored ctime once storage has stamped it. */
  get message(): Message {
    return this.#message;
  }

  /** Replace the message (storage stamps ctime); only before it is encoded. */
  set message(m: Message) {
    this.#message = m;
    this.#encoded = undefined;
  }

  /** The broadcastMessage args bytes, encoded on first use. */
  get encoded(): Uint8Array {
    this.#encoded ??= encodeBroadcastArgs(this.#message);
    return this.#encoded;
  }
}
