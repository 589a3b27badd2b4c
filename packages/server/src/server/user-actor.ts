/**
 * UserActor: one user's live connections on this instance and the bus subscription that feeds
 * them (Keybase's "one goroutine per user" becomes an object changed only by the jobs of
 * the user's mailbox lane, in order). It holds no queue itself: the Hub's Mailbox is the queue,
 * and every method here runs inside one job of that lane.
 */
import type { ConnectedUser, UID } from 'gregor-client/protocol';
import type { Subscription } from '../pubsub/index.js';
import type { HubMember } from './hub-member.js';

/** A user with at least one local connection. */
export class UserActor {
  /** The user. */
  readonly uid: UID;
  /** Lowercase hex of the uid: the key of the Hub's table and mailbox. */
  readonly key: string;
  /** The subscription to the user's messages from other instances; set when the actor is created. */
  readonly subscription: Subscription;
  readonly #members = new Set<HubMember>();

  constructor(uid: UID, key: string, subscription: Subscription) {
    this.uid = uid;
    this.key = key;
    this.subscription = subscription;
  }

  /** Live connections of the user here. */
  get size(): number {
    return this.#members.size;
  }

  /** The members, in attach order. */
  members(): IterableIterator<HubMember> {
    return this.#members.values();
  }

  /** Add a member; adding one twice is a no-op. */
  add(member: HubMember): void {
    this.#members.add(member);
  }

  /** Remove a member; false when it was not here. */
  remove(member: HubMember): boolean {
    return this.#members.delete(member);
  }

  /**
   * Hand `encodedArgs` to every member that is still open, in attach order; returns how many.
   * There is no sender exclusion: the sender gets its own message back (its write's echo).
   */
  deliver(encodedArgs: Uint8Array): number {
    let count = 0;
    for (const member of this.#members) {
      if (member.isClosed) continue;
      member.deliver(encodedArgs);
      count++;
    }
    return count;
  }

  /** Close every member (each then detaches through the Hub); `reason` is logged by each. */
  closeAll(reason: Error): void {
    for (const member of this.#members) member.close(reason);
  }

  /** The user's entry for `describeConnectedUsers`. */
  describe(): ConnectedUser {
    const devices = [];
    for (const member of this.#members) if (!member.isClosed) devices.push(member.describe());
    return { uid: this.uid, devices };
  }
}
