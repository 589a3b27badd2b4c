/**
 * The SQL of a consume batch: read what `planReads` names, write what `planBatch` produced. Each
 * step is a handful of multi-row statements whatever the batch size, which is what lets a group
 * commit approach the cost of plain batched inserts.
 */
import { type MsgID, toHex, type UID } from 'gregor-client/protocol';
import type { ItemRecord, QuotaUsage } from 'gregor-client/state/internal';
import { keyOf } from './batch-overlay.js';
import type { PlanReads, PlanSnapshot, PlanWrites, RowKey } from './consume-plan.js';
import type { KeyListMatcher, SqlSession, SqlValue } from './dialect.js';
import { ITEM_INSERT_COLUMNS, itemFromRow, itemInsertValues } from './item-rows.js';
import type { TableNames } from './schema.js';
import {
  categoryBytes,
  chunks,
  OR_KEY_MATCHER,
  placeholders,
  readBytesColumn,
  readIntColumn,
  valuesTuples,
} from './sql-values.js';

/** Rows of one multi-row INSERT: well under every dialect's bind limit (SQLite's 32766). */
const MAX_ROWS_PER_INSERT = 500;

/** Columns of a log INSERT, in the order `writeBatch` binds them. */
const LOG_INSERT_COLUMNS =
  'uid, msgid, ctime, devid, has_item, item_dtime, item_dtime_offset, item_dismissed, body';

/** Columns a dismissal needs of a candidate item; device and body are not read. */
const CANDIDATE_COLUMNS =
  'uid, msgid, ctime, NULL AS devid, category, NULL AS body, dtime, dtime_offset, dismissed';

/** The WHERE terms a dismissal reads candidate items with; each is one index probe or range. */
const TERMS = {
  /** An undismissed item by key: the primary key. */
  item: '(uid = ? AND msgid = ? AND dismissed = 0)',
  /** Undismissed items of a category up to a cutoff: items_category (uid, dismissed, category, ctime). */
  range: '(uid = ? AND dismissed = 0 AND category = ? AND ctime <= ?)',
} as const;
type TermKind = keyof typeof TERMS;

interface Term {
  readonly kind: TermKind;
  readonly params: SqlValue[];
}

/** The SELECT of a dismissal's candidate items for `kinds` of terms. */
export function batchReadSql(t: TableNames, kinds: readonly TermKind[]): string {
  return `SELECT ${CANDIDATE_COLUMNS} FROM ${t.items} WHERE ${kinds.map((k) => TERMS[k]).join(' OR ')}`;
}

function uniqueKeys(keys: readonly RowKey[]): RowKey[] {
  const seen = new Map<string, RowKey>();
  for (const k of keys) seen.set(keyOf(k.uid, k.msgID), k);
  return [...seen.values()];
}

async function selectCandidates(s: SqlSession, t: TableNames, terms: readonly Term[]) {
  const rows = [];
  for (const part of chunks(terms, OR_KEY_MATCHER.maxKeys)) {
    const sql = batchReadSql(
      t,
      part.map((term) => term.kind),
    );
    rows.push(
      ...(await s.query(
        sql,
        part.flatMap((term) => term.params),
      )),
    );
  }
  return rows;
}

/** Read the rows a batch may touch (see consume-plan.ts). */
export async function loadSnapshot(
  s: SqlSession,
  t: TableNames,
  match: KeyListMatcher,
  reads: PlanReads,
): Promise<PlanSnapshot> {
  const logged: PlanSnapshot['logged'][number][] = [];
  for (const part of chunks(uniqueKeys(reads.logKeys), match.maxKeys)) {
    const sql = `SELECT uid, msgid, body FROM ${t.messages} WHERE ${match.sql(part.length)}`;
    for (const row of await s.query(sql, match.params(part))) {
      const uid = readBytesColumn(row.uid, 'uid') as UID;
      const msgID = readBytesColumn(row.msgid, 'msgid') as MsgID;
      logged.push({ key: { uid, msgID }, body: readBytesColumn(row.body, 'body') });
    }
  }
  const itemTerms: Term[] = uniqueKeys(reads.itemKeys).map((k) => ({
    kind: 'item',
    params: [k.uid, k.msgID],
  }));
  for (const r of reads.ranges) {
    itemTerms.push({ kind: 'range', params: [r.uid, categoryBytes(r.category), r.cutoff] });
  }
  const items: ItemRecord[] = (await selectCandidates(s, t, itemTerms)).map((row) =>
    itemFromRow(row),
  );
  return { logged, items, usage: await selectUsage(s, t, reads.usage) };
}

/**
 * The quota usage of `uids` at `at` (quota-rules.ts): their items neither dismissed nor expired,
 * an index range of items_visible each, and the lengths of their bodies. A user without such
 * items gets no row, so every user starts at zero.
 */
async function selectUsage(
  s: SqlSession,
  t: TableNames,
  { uids, at }: PlanReads['usage'],
): Promise<PlanSnapshot['usage']> {
  const byUser = new Map<string, { uid: UID; usage: QuotaUsage }>();
  for (const uid of uids) byUser.set(toHex(uid), { uid, usage: { items: 0, bytes: 0 } });
  for (const part of chunks(uids, MAX_ROWS_PER_INSERT)) {
    const sql =
      `SELECT uid, COUNT(*) AS items, COALESCE(SUM(LENGTH(body)), 0) AS bytes FROM ${t.items} ` +
      `WHERE uid IN (${placeholders(part.length)}) AND dismissed = 0 AND expire_at > ? GROUP BY uid`;
    for (const row of await s.query(sql, [...part, at])) {
      const uid = toHex(readBytesColumn(row.uid, 'uid'));
      const entry = byUser.get(uid);
      if (entry === undefined) continue;
      entry.usage = {
        items: readIntColumn(row.items, 'items'),
        bytes: readIntColumn(row.bytes, 'bytes'),
      };
    }
  }
  return { at, users: [...byUser.values()] };
}

async function insertRows<T>(
  s: SqlSession,
  table: string,
  columns: string,
  width: number,
  rows: readonly T[],
  values: (row: T) => SqlValue[],
): Promise<void> {
  for (const part of chunks(rows, MAX_ROWS_PER_INSERT)) {
    await s.run(
      `INSERT INTO ${table} (${columns}) VALUES ${valuesTuples(part.length, width)}`,
      part.flatMap(values),
    );
  }
}

/** Write what `planBatch` produced: new items, dismissals, reminders, then the log in order. */
export async function writeBatch(
  s: SqlSession,
  t: TableNames,
  match: KeyListMatcher,
  w: PlanWrites,
): Promise<void> {
  await insertRows(s, t.items, ITEM_INSERT_COLUMNS, 10, w.newItems, itemInsertValues);
  for (const part of chunks(w.dismissed, match.maxKeys)) {
    const where = match.sql(part.length);
    const params = match.params(part);
    await s.run(`UPDATE ${t.items} SET dismissed = 1 WHERE ${where}`, params);
    await s.run(`UPDATE ${t.messages} SET item_dismissed = 1 WHERE ${where}`, params);
    // A dismissed item never reminds again (isReminderDue), so its reminders can go.
    await s.run(`DELETE FROM ${t.reminders} WHERE ${where}`, params);
  }
  await insertRows(s, t.reminders, 'uid, msgid, seqno, rtime, expire_at', 5, w.reminders, (r) => [
    r.uid,
    r.msgID,
    r.seqno,
    r.rtime,
    r.expireAt,
  ]);
  // One INSERT per chunk, rows in call order: the database assigns `seq` (arrival) ascending.
  await insertRows(s, t.messages, LOG_INSERT_COLUMNS, 9, w.logRows, (r) => [
    r.uid,
    r.msgID,
    r.ctime,
    r.deviceID,
    r.item === null ? 0 : 1,
    r.item?.dtime.time ?? 0,
    r.item?.dtime.offset ?? 0,
    r.item?.dismissed === true ? 1 : 0,
    r.body,
  ]);
}
