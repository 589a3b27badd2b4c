/**
 * Rules of InBandMessagesSince as pure functions (docs/data-model.md, "Sync: the log since a
 * time").
 */
import { type InBandMessage, type Time, toHex } from '../protocol/index.js';

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
 * FilterFutureDismissals: drop a dismissal-by-ID whose every target was created after
 * `since`, because those creations were never returned.
 *
 * `kept` are the candidate messages in order; `allByMsgID` maps toHex(msgID) → logged ctime of every
 * message that passed the device and since filters (dismissed or not). A message is kept when it is
 * not a stateUpdate, has no dismissal, has a range, carries a creation (its own item is visible, or
 * it would not be a candidate: case 19 keeps the UpdateItem message), or has a target that is
 * unknown or logged at or before `since`.
 */
export function filterFutureDismissals(
  kept: readonly InBandMessage[],
  allByMsgID: ReadonlyMap<string, Time>,
  since: Time,
): InBandMessage[] {
  return kept.filter((m) => {
    const update = m.stateUpdate;
    const dismissal = update?.dismissal;
    if (update === undefined || dismissal === undefined) return true;
    if (dismissal.ranges.length > 0 || update.creation !== undefined) return true;
    // An empty ID list keeps nothing alive: Go's loop finds no reason to include it either.
    return dismissal.msgIDs.some((id) => {
      const ctime = allByMsgID.get(toHex(id));
      return ctime === undefined || ctime <= since;
    });
  });
}
