/**
 * Bound values as the drivers take them: bytes as Buffer views (drivers bind Buffers as blobs).
 * Imports nothing, so that the SQLite writer thread (sqlite-writer-worker.ts) loads it alone.
 */
import type { SqlValue } from './dialect.js';

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Bytes as Buffer views, in lists too; anything else as is. */
export function toDriverValue(value: SqlValue): unknown {
  if (value instanceof Uint8Array) return asBuffer(value);
  if (Array.isArray(value)) return value.map(asBuffer);
  return value;
}

/** Bind a whole parameter list; see `toDriverValue`. */
export function toDriverValues(params: readonly SqlValue[]): unknown[] {
  return params.map(toDriverValue);
}
