/**
 * The reading side of the engine: State, InBandMessagesSince and LatestCTime
 * (docs/data-model.md, "Sync: the log since a time"). SQL narrows the rows through an index; the
 * shared rules of src/state then decide exactly, so the semantics live in one place and the
 * conformance suite proves both agree.
 */
import type { DeviceID, InBandMessage, MsgID, State, Time, UID } from 'gregor-client/protocol';
import {
  filterFutureDismissals,
  type ItemRecord,
  isItemDismissedAt,
  isItemInState,
  LoggedCTimes,
  MESSAGE_ENTRY_WIRE_BYTES,
  MIN_MESSAGE_WIRE_BYTES,
  MIN_STATE_ITEM_WIRE_BYTES,
  type ResultBudget,
  stateOfItems,
} from 'gregor-client/state/internal';
import { decodeLogged } from './consume-plan.js';
import { forEachRow, type SqlSession, type SqlValue } from './dialect.js';
import { itemColumns, itemFromRow } from './item-rows.js';
import type { TableNames } from './schema.js';
import { readBytesColumn, readIntColumn } from './sql-values.js';

/**
 * The State query: the items_visible index range `uid, dismissed = 0, expire_at > T`, which holds
 * exactly the items not dismissed at T; then ctime ≤ T and the device, when given.
 * Parameters: uid, T (or now), [T], [deviceID].
 */
export function stateSql(
  t: TableNames,
  hasQueryTime: boolean,
  hasDevice: boolean,
  maxRows?: number,
): string {
  let sql = `SELECT ${itemColumns(undefined, false)} FROM ${t.items} WHERE uid = ? AND dismissed = 0 AND expire_at > ?`;
  if (hasQueryTime) sql += ' AND ctime <= ?';
  if (hasDevice) sql += ' AND (devid IS NULL OR devid = ?)';
  return sql + limitClause(maxRows);
}

/**
 * `LIMIT n` when a read is bounded: more rows than an answer of the largest frame can hold are
 * never fetched, so a driver that returns whole results (PostgreSQL, MySQL) decodes a bounded
 * number of rows. `n` is a computed integer, written into the text (MySQL's LIMIT takes no
 * placeholder in every version).
 */
function limitClause(maxRows: number | undefined): string {
  return maxRows === undefined ? '' : ` LIMIT ${Math.trunc(maxRows)}`;
}

/** State(uid, device, T) at `now` (T null: now, no ctime filter); see `stateSql`. */
export async function queryState(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  queryTime: Time | null,
  now: Time,
  budget: ResultBudget,
): Promise<State> {
  const params: SqlValue[] = [uid, queryTime ?? now];
  if (queryTime !== null) params.push(queryTime);
  if (deviceID !== null) params.push(deviceID);
  const maxRows = budget.maxRows(MIN_STATE_ITEM_WIRE_BYTES);
  const sql = stateSql(t, queryTime !== null, deviceID !== null, maxRows);
  // Every row is this user's: the records share one copy of the uid.
  const owner = new Uint8Array(uid) as UID;
  const items: ItemRecord[] = [];
  await forEachRow(s, sql, params, (row) => {
    const item = itemFromRow(row, owner);
    if (!isItemInState(item, deviceID, queryTime, now)) return;
    budget.addItem(item);
    items.push(item);
  });
  return stateOfItems(items);
}

/**
 * The since query: the messages_since range `uid, ctime ≥ since` in (ctime, seq) order, from the
 * log alone: a creation's row carries its item's dtime and dismissed flag (no join, so no plan
 * can read the user's other items). The body of a dismissed creation is not fetched.
 * Parameters: uid, since, [deviceID].
 */
export function sinceSql(t: TableNames, hasDevice: boolean, maxRows?: number): string {
  let sql =
    'SELECT msgid, ctime, has_item, item_dtime, item_dtime_offset, item_dismissed, ' +
    `CASE WHEN item_dismissed = 1 THEN NULL ELSE body END AS body FROM ${t.messages} ` +
    'WHERE uid = ? AND ctime >= ?';
  // Only a stateUpdate is filtered by device; a stateSync is stored with devid NULL.
  if (hasDevice) sql += ' AND (devid IS NULL OR devid = ?)';
  return `${sql} ORDER BY ctime, seq${limitClause(maxRows)}`;
}

/** InBandMessagesSince(uid, device, since) at `now`; see `sinceSql`. */
export async function querySince(
  s: SqlSession,
  t: TableNames,
  uid: UID,
  deviceID: DeviceID | null,
  since: Time,
  now: Time,
  budget: ResultBudget,
): Promise<InBandMessage[]> {
  const params: SqlValue[] = deviceID === null ? [uid, since] : [uid, since, deviceID];
  const sql = sinceSql(t, deviceID !== null, budget.maxRows(MIN_MESSAGE_WIRE_BYTES));
  const logged = new LoggedCTimes();
  // The rows come in the since order (ORDER BY ctime, seq: ties in arrival order), as sortSince
  // would put them.
  const kept: InBandMessage[] = [];
  await forEachRow(s, sql, params, (row) => {
    const ctime = readIntColumn(row.ctime, 'ctime');
    logged.add(readBytesColumn(row.msgid, 'msgid') as MsgID, ctime);
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
      // A creation whose item is dismissed or expired as of now is not replayed.
      if (isItemDismissedAt(item, now)) return;
    }
    const body = readBytesColumn(row.body, 'body');
    // The stored bytes are the message's canonical encoding: counted before it is decoded.
    budget.add(body.length + MESSAGE_ENTRY_WIRE_BYTES);
    kept.push(decodeLogged(body));
  });
  return filterFutureDismissals(kept, logged, since);
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
 * device sees, dismissed or not; see `latestCTimeSql`.
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
