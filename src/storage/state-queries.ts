/**
 * The reading side of the engine: State, InBandMessagesSince and LatestCTime
 * (gregor-protocol.md §4.2). SQL narrows the rows through an index; the shared rules of
 * src/state then decide exactly, so the semantics live in one place and the conformance suite
 * proves both agree.
 */
import {
  type DeviceID,
  type InBandMessage,
  makeState,
  type State,
  type Time,
  toHex,
  type UID,
} from '../protocol/index.js';
import {
  exportItem,
  filterFutureDismissals,
  isItemDismissedAt,
  isItemInState,
  type LoggedMessage,
  sortSince,
} from '../state/index.js';
import { decodeLogged } from './consume-plan.js';
import type { SqlSession, SqlValue } from './dialect.js';
import { itemColumns, itemFromRow } from './item-rows.js';
import type { TableNames } from './schema.js';
import { driverBytes, readIntColumn } from './sql-values.js';

/**
 * The State query: the items_visible index range `uid, dismissed = 0, expire_at > T`, which holds
 * exactly the items not dismissed at T; then ctime ≤ T and the device, when given.
 * Parameters: uid, T (or now), [T], [deviceID].
 */
export function stateSql(t: TableNames, hasQueryTime: boolean, hasDevice: boolean): string {
  let sql = `SELECT ${itemColumns(undefined, false)} FROM ${t.items} WHERE uid = ? AND dismissed = 0 AND expire_at > ?`;
  if (hasQueryTime) sql += ' AND ctime <= ?';
  if (hasDevice) sql += ' AND (devid IS NULL OR devid = ?)';
  return sql;
}

/** State(uid, device, T) at `now` (T null: now, no ctime filter); see `stateSql`. */
export async function queryState(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  queryTime: Time | null,
  now: Time,
): Promise<State> {
  const params: SqlValue[] = [uid, queryTime ?? now];
  if (queryTime !== null) params.push(queryTime);
  if (deviceID !== null) params.push(deviceID);
  const rows = await s.query(stateSql(t, queryTime !== null, deviceID !== null), params);
  // Every row is this user's: the records share one copy of the uid.
  const owner = new Uint8Array(uid) as UID;
  const items = rows
    .map((row) => itemFromRow(row, owner))
    .filter((i) => isItemInState(i, deviceID, queryTime, now));
  return makeState(items.map(exportItem));
}

/**
 * The since query: the messages_since range `uid, ctime ≥ since` in (ctime, seq) order, from the
 * log alone: a creation's row carries its item's dtime and dismissed flag (no join, so no plan
 * can read the user's other items). The body of a dismissed creation is not fetched.
 * Parameters: uid, since, [deviceID].
 */
export function sinceSql(t: TableNames, hasDevice: boolean): string {
  let sql =
    'SELECT msgid, ctime, has_item, item_dtime, item_dtime_offset, item_dismissed, ' +
    `CASE WHEN item_dismissed = 1 THEN NULL ELSE body END AS body FROM ${t.messages} ` +
    'WHERE uid = ? AND ctime >= ?';
  // §4.2: only a stateUpdate is filtered by device; a stateSync is stored with devid NULL.
  if (hasDevice) sql += ' AND (devid IS NULL OR devid = ?)';
  return `${sql} ORDER BY ctime, seq`;
}

/** InBandMessagesSince(uid, device, since) at `now`; see `sinceSql`. */
export async function querySince(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  since: Time,
  now: Time,
): Promise<InBandMessage[]> {
  const params: SqlValue[] = deviceID === null ? [uid, since] : [uid, since, deviceID];
  const rows = await s.query(sinceSql(t, deviceID !== null), params);
  const allByMsgID = new Map<string, Time>();
  const kept: LoggedMessage[] = [];
  for (const row of rows) {
    const ctime = readIntColumn(row.ctime, 'ctime');
    // Read in place: the hex and the decoded record are copies already.
    allByMsgID.set(toHex(driverBytes(row.msgid, 'msgid')), ctime);
    if (readIntColumn(row.has_item, 'has_item') === 1) {
      // The item's ctime is its creation's logged ctime.
      const item = {
        ctime,
        dtime: {
          time: readIntColumn(row.item_dtime, 'item_dtime'),
          offset: readIntColumn(row.item_dtime_offset, 'item_dtime_offset'),
        },
        dismissed: readIntColumn(row.item_dismissed, 'item_dismissed') !== 0,
      };
      // §4.2: a creation whose item is dismissed or expired as of now is not replayed.
      if (isItemDismissedAt(item, now)) continue;
    }
    kept.push({ msg: decodeLogged(driverBytes(row.body, 'body')), ctime });
  }
  return filterFutureDismissals(
    sortSince(kept).map((e) => e.msg),
    allByMsgID,
    since,
  );
}

/**
 * The LatestCTime query: messages_latest (uid, has_item, seq) read backwards, first row the
 * device sees. Parameters: uid, [deviceID].
 */
export function latestCTimeSql(t: TableNames, hasDevice: boolean): string {
  let sql = `SELECT ctime FROM ${t.messages} WHERE uid = ? AND has_item = 1`;
  if (hasDevice) sql += ' AND (devid IS NULL OR devid = ?)';
  return `${sql} ORDER BY seq DESC LIMIT 1`;
}

/**
 * LatestCTime(uid, device): the logged ctime of the last creation in arrival order that the
 * device sees, dismissed or not (§4.2); see `latestCTimeSql`.
 */
export async function queryLatestCTime(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
): Promise<Time | null> {
  const params: SqlValue[] = deviceID === null ? [uid] : [uid, deviceID];
  const [row] = await s.query(latestCTimeSql(t, deviceID !== null), params);
  return row === undefined ? null : readIntColumn(row.ctime, 'ctime');
}
