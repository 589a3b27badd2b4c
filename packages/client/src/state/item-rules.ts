/**
 * Item rules as pure functions over plain data: visibility, device filters, what a dismissal hits,
 * and the exported item shape (docs/data-model.md, "Consuming an in-band message" and "Which
 * items a state holds").
 */
import {
  bytesEqual,
  type Category,
  compareCTimeThenMsgID,
  type DeviceID,
  type Dismissal,
  IN_BAND_MSG_TYPE,
  type InBandMessage,
  type ItemAndMetadata,
  type MsgID,
  type MsgRange,
  type State,
  type Time,
  type TimeOrOffset,
  type UID,
} from '../protocol/index.js';
import { hasExpiredAt, itemExpiry, resolveRangeEndTime } from './time-rules.js';

/** An item as an engine keeps it: the creation's fields plus the stamped ctime and dismissal flag. */
export interface ItemRecord {
  readonly uid: UID;
  readonly msgID: MsgID;
  readonly deviceID: DeviceID | null;
  /** The stamped creation time (`md.ctime` or the consume time), ms. */
  readonly ctime: Time;
  readonly category: Category;
  readonly body: Uint8Array | null;
  /** The creation's dtime as sent: absolute, or an offset from `ctime`, or unset. */
  readonly dtime: TimeOrOffset;
  /** Set once a dismissal (by ID or range) hits the item: Mem's `dismissedImmediate`. */
  readonly dismissed: boolean;
}

/**
 * True when the item is dismissed at `t` (Keybase's isDismissedAt): a dismissal hides it regardless
 * of `t` (Keybase's MemEngine's dismissedImmediate); an expiry hides it from the expiry on
 * (inclusive).
 */
export function isItemDismissedAt(
  item: Pick<ItemRecord, 'ctime' | 'dtime' | 'dismissed'>,
  t: Time,
): boolean {
  if (item.dismissed) return true;
  return hasExpiredAt(itemExpiry(item), t);
}

/**
 * The state device filter (Keybase's State): a null query device sees everything, and an item with
 * no device is seen by every device.
 */
export function isForDevice(itemDevice: DeviceID | null, queryDevice: DeviceID | null): boolean {
  return queryDevice === null || itemDevice === null || bytesEqual(itemDevice, queryDevice);
}

/**
 * The since device filter (Keybase's isMessageForDevice): only a stateUpdate is filtered, by its
 * `md.deviceID`; sync messages are never filtered by device.
 */
export function isMessageForDevice(m: InBandMessage, queryDevice: DeviceID | null): boolean {
  const update = m.stateUpdate;
  if (update === undefined) return true;
  return isForDevice(update.md.deviceID, queryDevice);
}

/**
 * True when the item belongs in `State(uid, device, t)`: the device matches; with a query
 * time `T` (from `resolveQueryTime`) its ctime is ≤ T; and it is not dismissed at T (at `now` when
 * there is no query time).
 */
export function isItemInState(
  item: ItemRecord,
  queryDevice: DeviceID | null,
  queryTime: Time | null,
  now: Time,
): boolean {
  if (!isForDevice(item.deviceID, queryDevice)) return false;
  if (queryTime !== null && queryTime < item.ctime) return false;
  return !isItemDismissedAt(item, queryTime ?? now);
}

/** True when `ids` holds `id` (byte equality). */
export function containsMsgID(ids: readonly MsgID[], id: MsgID): boolean {
  return ids.some((x) => bytesEqual(x, id));
}

/**
 * The range match (Keybase's MsgRange and dismissRanges): exactly the same category, ctime ≤ the
 * resolved endTime (inclusive; zero endTime = the dismissal time), and not in this range's skipMsgIDs.
 */
export function rangeMatchesItem(
  range: MsgRange,
  item: Pick<ItemRecord, 'category' | 'ctime' | 'msgID'>,
  dismissedAt: Time,
): boolean {
  return (
    range.category === item.category &&
    item.ctime <= resolveRangeEndTime(range.endTime, dismissedAt) &&
    !containsMsgID(range.skipMsgIDs, item.msgID)
  );
}

/**
 * True when `dismissal` (taking effect at `dismissedAt`) dismisses the item: by ID on any device,
 * or by any one of its ranges (skipMsgIDs is per range, case 17).
 */
export function dismissalHitsItem(
  dismissal: Dismissal,
  item: Pick<ItemRecord, 'category' | 'ctime' | 'msgID'>,
  dismissedAt: Time,
): boolean {
  return (
    containsMsgID(dismissal.msgIDs, item.msgID) ||
    dismissal.ranges.some((r) => rangeMatchesItem(r, item, dismissedAt))
  );
}

/**
 * The item as a state exports it (Keybase's MakeItem): inBandMsgType 1, no remindTimes, dtime
 * carrying only an absolute expiry (an offset dtime exports as {0,0}, case 10).
 */
export function exportItem(item: ItemRecord): ItemAndMetadata {
  return {
    md: {
      uid: item.uid,
      msgID: item.msgID,
      ctime: item.ctime,
      deviceID: item.deviceID,
      inBandMsgType: IN_BAND_MSG_TYPE.update,
    },
    item: {
      category: item.category,
      dtime: { time: item.dtime.time, offset: 0 },
      remindTimes: [],
      body: item.body,
    },
  };
}

/**
 * The State of the visible `items` (Keybase's MakeState): sorted in place by the MakeState order
 * of the records' own ctime and msgID, which are what an exported item's md carries, then
 * exported. Sorting the records is cheaper than sorting exported items (no optional md to look
 * through in every comparison).
 */
export function stateOfItems(items: ItemRecord[]): State {
  items.sort((a, b) => compareCTimeThenMsgID(a.ctime, a.msgID, b.ctime, b.msgID));
  return { items: items.map(exportItem) };
}

/**
 * ItemsWithCategoryPrefix, the rule of StateByCategoryPrefix: a plain string prefix test
 * (`%` and `_` are not wildcards, unlike the old SQL engine's LIKE), and "" matches everything.
 * The items keep their order, so a state stays sorted.
 */
export function filterStateByCategoryPrefix(state: State, prefix: string): State {
  return { items: state.items.filter((i) => i.item?.category.startsWith(prefix) === true) };
}
