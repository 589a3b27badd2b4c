/**
 * The memory engine's users, keyed by hex uid as Keybase's MemEngine keys them.
 */
import { toHex, type UID } from '../protocol/index.js';
import { UserRecord } from './user-record.js';

/** uid → UserRecord; reads never create a record, writes do. */
export class UserTable {
  readonly #byUID = new Map<string, UserRecord>();

  /** The record of `uid`, created empty on first use. */
  get(uid: UID): UserRecord {
    const key = toHex(uid);
    let user = this.#byUID.get(key);
    if (user === undefined) {
      user = new UserRecord();
      this.#byUID.set(key, user);
    }
    return user;
  }

  /** The record of `uid` if it has one. */
  find(uid: UID): UserRecord | undefined {
    return this.#byUID.get(toHex(uid));
  }

  /** Forget every user, with their local dismissals and outbox (Keybase's Clear). */
  clear(): void {
    this.#byUID.clear();
  }
}
