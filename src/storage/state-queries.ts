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
import { readBytesColumn, readIntColumn } from './sql-values.js';

/**
 * State(uid, device, T) at `now` (T null: now, no ctime filter). Reads the items_visible index
 * range `uid, dismissed = 0, expire_at > T`, which holds exactly the items not dismissed at T.
 */
export async function queryState(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  queryTime: Time | null,
  now: Time,
): Promise<State> {
  const params: SqlValue[] = [uid, queryTime ?? now];
  let sql = `SELECT ${itemColumns()} FROM ${t.items} WHERE uid = ? AND dismissed = 0 AND expire_at > ?`;
  if (queryTime !== null) {
    sql += ' AND ctime <= ?';
    params.push(queryTime);
  }
  if (deviceID !== null) {
    sql += ' AND (devid IS NULL OR devid = ?)';
    params.push(deviceID);
  }
  const rows = await s.query(sql, params);
  const items = rows.map(itemFromRow).filter((i) => isItemInState(i, deviceID, queryTime, now));
  return makeState(items.map(exportItem));
}

/**
 * InBandMessagesSince(uid, device, since) at `now`: the messages_since range
 * `uid, ctime ≥ since` in (ctime, seq) order, each with its item's dismissal state.
 */
export async function querySince(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  since: Time,
  now: Time,
): Promise<InBandMessage[]> {
  const params: SqlValue[] = [uid, since];
  let sql =
    'SELECT m.msgid, m.ctime, m.body, m.has_item, i.ctime AS item_ctime, i.dtime, i.dtime_offset, i.dismissed ' +
    `FROM ${t.messages} m LEFT JOIN ${t.items} i ` +
    'ON m.has_item = 1 AND i.uid = m.uid AND i.msgid = m.msgid ' +
    'WHERE m.uid = ? AND m.ctime >= ?';
  if (deviceID !== null) {
    // §4.2: only a stateUpdate is filtered by device; a stateSync is stored with devid NULL.
    sql += ' AND (m.devid IS NULL OR m.devid = ?)';
    params.push(deviceID);
  }
  sql += ' ORDER BY m.ctime, m.seq';
  const rows = await s.query(sql, params);
  const allByMsgID = new Map<string, Time>();
  const kept: LoggedMessage[] = [];
  for (const row of rows) {
    const ctime = readIntColumn(row.ctime, 'ctime');
    allByMsgID.set(toHex(readBytesColumn(row.msgid, 'msgid')), ctime);
    if (readIntColumn(row.has_item, 'has_item') === 1 && row.item_ctime !== null) {
      const item = {
        ctime: readIntColumn(row.item_ctime, 'item_ctime'),
        dtime: {
          time: readIntColumn(row.dtime, 'dtime'),
          offset: readIntColumn(row.dtime_offset, 'dtime_offset'),
        },
        dismissed: readIntColumn(row.dismissed, 'dismissed') !== 0,
      };
      // §4.2: a creation whose item is dismissed or expired as of now is not replayed.
      if (isItemDismissedAt(item, now)) continue;
    }
    kept.push({ msg: decodeLogged(readBytesColumn(row.body, 'body')), ctime });
  }
  return filterFutureDismissals(
    sortSince(kept).map((e) => e.msg),
    allByMsgID,
    since,
  );
}

/**
 * LatestCTime(uid, device): the logged ctime of the last creation in arrival order that the
 * device sees, dismissed or not (§4.2). Reads messages_latest backwards.
 */
export async function queryLatestCTime(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
): Promise<Time | null> {
  const params: SqlValue[] = [uid];
  let sql = `SELECT ctime FROM ${t.messages} WHERE uid = ? AND has_item = 1`;
  if (deviceID !== null) {
    sql += ' AND (devid IS NULL OR devid = ?)';
    params.push(deviceID);
  }
  sql += ' ORDER BY seq DESC LIMIT 1';
  const [row] = await s.query(sql, params);
  return row === undefined ? null : readIntColumn(row.ctime, 'ctime');
}
