/**
 * Values across the driver boundary: binding bytes, reading columns back into typed values, and
 * the placeholder lists the multi-row statements need. Drivers differ here (Buffer vs Uint8Array,
 * BIGINT as string or number); after this file they do not.
 */
import { gregorError } from 'gregor-client/errors';
import type { KeyListMatcher } from './dialect.js';

export { toDriverValue, toDriverValues } from './driver-values.js';

function badColumn(column: string, expected: string, value: unknown): never {
  throw gregorError(
    'GREGOR_ERR_STORAGE_FAILED',
    `column ${column}: expected ${expected}, got ${typeof value}`,
  );
}

/**
 * A bytes column as a plain Uint8Array (records compare with plain Uint8Arrays, not Buffers): a
 * view of the driver's bytes, not a copy. Each driver hands out bytes that nothing writes again (a
 * blob of its own in better-sqlite3, a slice of a socket chunk in mysql2, a slice of Node's buffer
 * pool in pg), so the view stays valid; it keeps that memory alive as long as the record lives,
 * which for a read's answer is until it is sent. One copy per column per row was a third of the
 * time of a large `state`.
 */
export function readBytesColumn(value: unknown, column: string): Uint8Array {
  if (value instanceof Uint8Array) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return badColumn(column, 'bytes', value);
}

/** A nullable bytes column; see `readBytesColumn`. */
export function readBytesOrNullColumn(value: unknown, column: string): Uint8Array | null {
  return value === null || value === undefined ? null : readBytesColumn(value, column);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a category, the form it is stored and compared in (byte-exact, no collation). */
export function categoryBytes(category: string): Uint8Array {
  return utf8Encoder.encode(category);
}

/** A category column (stored as UTF-8 bytes) back as a string. */
export function readCategoryColumn(value: unknown, column: string): string {
  if (value instanceof Uint8Array) return utf8.decode(value);
  return badColumn(column, 'bytes', value);
}

/** An integer column (ms times, flags): drivers may hand BIGINT back as string or bigint. */
export function readIntColumn(value: unknown, column: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return badColumn(column, 'a safe integer', value);
}

/** A nullable integer column; see `readIntColumn`. */
export function readIntOrNullColumn(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : readIntColumn(value, column);
}

/** `?, ?, ?` with `count` placeholders. */
export function placeholders(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

/** `(?, ?), (?, ?)`: `rows` tuples of `width` placeholders, for a multi-row VALUES list. */
export function valuesTuples(rows: number, width: number): string {
  const tuple = `(${placeholders(width)})`;
  return new Array<string>(rows).fill(tuple).join(', ');
}

/**
 * `(a = ? AND b = ?) OR (a = ? AND b = ?)`: match `rows` composite keys. Every planner here turns
 * this into one index probe per key (PG BitmapOr, MySQL range, SQLite MULTI-INDEX OR).
 */
export function keysMatch(columns: readonly string[], rows: number): string {
  const one = `(${columns.map((c) => `${c} = ?`).join(' AND ')})`;
  return new Array<string>(rows).fill(one).join(' OR ');
}

/** The portable KeyListMatcher: `(uid = ? AND msgid = ?) OR …`, 200 keys a statement. */
export const OR_KEY_MATCHER: KeyListMatcher = {
  maxKeys: 200,
  sql: (count) => keysMatch(['uid', 'msgid'], count),
  params: (keys) => keys.flatMap((k) => [k.uid, k.msgID]),
};

/** Split `items` into chunks of at most `size`, so one statement stays under a bind limit. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
