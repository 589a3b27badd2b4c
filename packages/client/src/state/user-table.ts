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

  /** Up to `max` users whose hex uid sorts after `after` (null: from the first), ascending. */
  usersAfter(after: string | null, max: number): { hex: string; record: UserRecord }[] {
    const keys = [...this.#byUID.keys()].filter((k) => after === null || k > after).sort();
    return keys.slice(0, max).map((hex) => ({ hex, record: this.#byUID.get(hex)! }));
  }

  /** Every user's record. */
  records(): IterableIterator<UserRecord> {
    return this.#byUID.values();
  }

  /** Drop the record of `hex` if nothing of it is left (retention). */
  forgetIfEmpty(hex: string): void {
    if (this.#byUID.get(hex)?.isEmpty === true) this.#byUID.delete(hex);
  }

  /** Forget every user, with their local dismissals and outbox (Keybase's Clear). */
  clear(): void {
    this.#byUID.clear();
  }
}
