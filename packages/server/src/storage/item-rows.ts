/**
 * Items between rows and the state layer's `ItemRecord`, so every rule from src/state runs on
 * what SQL returns (schema.ts for the columns).
 */
import type { DeviceID, MsgID, UID } from 'gregor-client/protocol';
import { type ItemRecord, itemExpiry } from 'gregor-client/state/internal';
import type { SqlRow, SqlValue } from './dialect.js';
import { NEVER_MS } from './schema.js';
import {
  categoryBytes,
  readBytesColumn,
  readBytesOrNullColumn,
  readCategoryColumn,
  readIntColumn,
} from './sql-values.js';

/** Columns an ItemRecord is read from (uid too unless `withUid` is false), optionally qualified. */
export function itemColumns(alias?: string, withUid = true): string {
  const a = alias === undefined ? '' : `${alias}.`;
  const uid = withUid ? `${a}uid, ` : '';
  return `${uid}${a}msgid, ${a}ctime, ${a}devid, ${a}category, ${a}body, ${a}dtime, ${a}dtime_offset, ${a}dismissed`;
}

/**
 * The ItemRecord of a row selected with `itemColumns`. A query for one user may leave uid out and
 * pass it as `uid`, which the records then share (one copy instead of one per row).
 */
export function itemFromRow(row: SqlRow, uid?: UID): ItemRecord {
  return {
    uid: uid ?? (readBytesColumn(row.uid, 'uid') as UID),
    msgID: readBytesColumn(row.msgid, 'msgid') as MsgID,
    deviceID: readBytesOrNullColumn(row.devid, 'devid') as DeviceID | null,
    ctime: readIntColumn(row.ctime, 'ctime'),
    category: readCategoryColumn(row.category, 'category'),
    body: readBytesOrNullColumn(row.body, 'body'),
    dtime: {
      time: readIntColumn(row.dtime, 'dtime'),
      offset: readIntColumn(row.dtime_offset, 'dtime_offset'),
    },
    dismissed: readIntColumn(row.dismissed, 'dismissed') !== 0,
  };
}

/**
 * `expire_at` of an item: its expiry by the shared rule (absolute dtime, else ctime + offset), or
 * NEVER_MS. The State index range `expire_at > T` then holds exactly the unexpired items.
 */
export function expireAtOf(item: Pick<ItemRecord, 'ctime' | 'dtime'>): number {
  return Math.min(itemExpiry(item) ?? NEVER_MS, NEVER_MS);
}

/** Columns of an item INSERT, in the order of `itemInsertValues`. */
export const ITEM_INSERT_COLUMNS =
  'uid, msgid, ctime, devid, category, body, dtime, dtime_offset, expire_at, dismissed';

/** Bound values of one item row; see ITEM_INSERT_COLUMNS. */
export function itemInsertValues(item: ItemRecord): SqlValue[] {
  return [
    item.uid,
    item.msgID,
    item.ctime,
    item.deviceID,
    categoryBytes(item.category),
    item.body,
    item.dtime.time,
    item.dtime.offset,
    expireAtOf(item),
    item.dismissed ? 1 : 0,
  ];
}
