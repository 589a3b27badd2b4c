/**
 * Rules of InBandMessagesSince as pure functions (docs/data-model.md, "Sync: the log since a
 * time").
 */
import { type InBandMessage, type MsgID, type Time, toHex } from '../protocol/index.js';

/** A logged message with its logged ctime, in arrival order. */
export interface LoggedMessage {
  readonly msg: InBandMessage;
  readonly ctime: Time;
}

/**
 * The since order (docs/data-model.md, "Sync: the log since a time", step 4): logged ctime
 * ascending, ties kept in arrival order. `logged` must be in arrival order; a new array is returned
 * (the sort is stable).
 */
export function sortSince<T extends LoggedMessage>(logged: readonly T[]): T[] {
  return [...logged].sort((a, b) => a.ctime - b.ctime);
}

/**
 * The logged ctime of every message that passed the device and since filters (dismissed or not),
 * by msgID, for `filterFutureDismissals`. Adding builds no key; the index by msgID is built the
 * first time a dismissal asks, and most syncs have no dismissal by ID to check (a hex key per
 * message was a sixth of the time of a large sync).
 */
export class LoggedCTimes {
  readonly #msgIDs: MsgID[] = [];
  readonly #ctimes: Time[] = [];
  #byHex: Map<string, Time> | undefined;

  add(msgID: MsgID, ctime: Time): void {
    this.#msgIDs.push(msgID);
    this.#ctimes.push(ctime);
    this.#byHex = undefined;
  }

  /** The logged ctime of `msgID`, or undefined when it is not among those added. */
  get(msgID: MsgID): Time | undefined {
    if (this.#byHex === undefined) {
      this.#byHex = new Map();
      for (let i = 0; i < this.#msgIDs.length; i++) {
        this.#byHex.set(toHex(this.#msgIDs[i]!), this.#ctimes[i]!);
      }
    }
    return this.#byHex.get(toHex(msgID));
  }
}

/**
 * FilterFutureDismissals: drop a dismissal-by-ID whose every target was created after
 * `since`, because those creations were never returned.
 *
 * `kept` are the candidate messages in order; `logged` holds the logged ctime of every message
 * that passed the device and since filters (dismissed or not). A message is kept when it is not a
 * stateUpdate, has no dismissal, has a range, carries a creation (its own item is visible, or it
 * would not be a candidate: case 19 keeps the UpdateItem message), or has a target that is unknown
 * or logged at or before `since`.
 */
export function filterFutureDismissals(
  kept: readonly InBandMessage[],
  logged: LoggedCTimes,
  since: Time,
): InBandMessage[] {
  return kept.filter((m) => {
    const update = m.stateUpdate;
    const dismissal = update?.dismissal;
    if (update === undefined || dismissal === undefined) return true;
    if (dismissal.ranges.length > 0 || update.creation !== undefined) return true;
    // An empty ID list keeps nothing alive: Go's loop finds no reason to include it either.
    return dismissal.msgIDs.some((id) => {
      const ctime = logged.get(id);
      return ctime === undefined || ctime <= since;
    });
  });
}
