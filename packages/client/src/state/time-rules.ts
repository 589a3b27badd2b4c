/**
 * Time rules of the state machine as pure functions (docs/data-model.md, "Time").
 * Every "now" is passed in: rule code never reads a clock, so a test decides what "now" is.
 */
import type { Metadata, Time, TimeOrOffset } from '../protocol/index.js';

/** True when both parts of `t` are zero, i.e. the TimeOrOffset is unset (Keybase's `IsZero`). */
export function isZeroTimeOrOffset(t: TimeOrOffset): boolean {
  return t.time === 0 && t.offset === 0;
}

/**
 * Resolve `t` against `base`: the absolute time wins, else `base + offset` (Time, then
 * Offset); `null` when `t` is unset, because what "unset" means depends on the situation.
 */
export function resolveTimeOrOffset(t: TimeOrOffset, base: Time): Time | null {
  if (t.time !== 0) return t.time;
  if (t.offset !== 0) return base + t.offset;
  return null;
}

/**
 * The time `T` of a state query (docs/data-model.md, "Time"): `null` (no creation-time filter,
 * items judged as of `now`) when `t` is null; otherwise the resolved time, with an unset `t`
 * meaning now.
 */
export function resolveQueryTime(t: TimeOrOffset | null, now: Time): Time | null {
  if (t === null) return null;
  return resolveTimeOrOffset(t, now) ?? now;
}

/** The ctime a creation is stamped with: `md.ctime`, trusted even in the future, else now. */
export function creationCTime(md: Pick<Metadata, 'ctime'>, now: Time): Time {
  return md.ctime !== 0 ? md.ctime : now;
}

/** The time a dismissal takes effect ("dt"): `md.ctime` when set, else now. */
export function dismissalTime(md: Pick<Metadata, 'ctime'>, now: Time): Time {
  return md.ctime !== 0 ? md.ctime : now;
}

/**
 * A range's cutoff: `endTime` resolved against the dismissal time, and an unset endTime meaning
 * the dismissal time itself (clients rely on it for UpdateCategory).
 */
export function resolveRangeEndTime(endTime: TimeOrOffset, dismissedAt: Time): Time {
  return resolveTimeOrOffset(endTime, dismissedAt) ?? dismissedAt;
}

/**
 * When an item expires: its absolute dtime, else its ctime + offset (the offset base is the
 * item's ctime), or `null` for no expiry.
 */
export function itemExpiry(item: { ctime: Time; dtime: TimeOrOffset }): Time | null {
  return resolveTimeOrOffset(item.dtime, item.ctime);
}

/** True when an item expiring at `expiry` (null: never) has expired at `t`: from the expiry on. */
export function hasExpiredAt(expiry: Time | null, t: Time): boolean {
  return expiry !== null && expiry <= t;
}

/** The inclusive `since` test of InBandMessagesSince: only a ctime strictly before is dropped. */
export function isAtOrAfterSince(loggedCTime: Time, since: Time): boolean {
  return loggedCTime >= since;
}
