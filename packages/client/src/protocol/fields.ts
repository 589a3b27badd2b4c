/**
 * Tolerant field readers for decoded msgpack maps (docs/protocol.md, "Encoding").
 *
 * Tolerant where Go is: an absent key is the zero value, nil is an empty array, str is accepted for
 * bytes and bin for strings. Strict where it must be: a value of the wrong shape is an InputError
 * whose message names the field path, never an exception that escapes as a TypeError.
 */
import { gregorError } from '../errors.js';

/** A decoded msgpack map. */
export type WireMap = Record<string, unknown>;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

function kindOf(value: unknown): string {
  if (value === null) return 'nil';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Throw the InputError that names `path` and what was wrong with its value. */
export function invalidField(path: string, expected: string, value: unknown): never {
  throw gregorError(
    'GREGOR_ERR_INPUT_INVALID',
    `${path}: expected ${expected}, got ${kindOf(value)}`,
  );
}

/** Read a map, or an empty map for nil/absent. */
export function readMap(value: unknown, path: string): WireMap {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    invalidField(path, 'map', value);
  }
  return value as WireMap;
}

/** Read an optional record: absent or nil gives undefined (an avdl `?` union). */
export function readOptional<T>(
  value: unknown,
  path: string,
  decode: (m: WireMap, path: string) => T,
): T | undefined {
  if (value === undefined || value === null) return undefined;
  return decode(readMap(value, path), path);
}

/** Read bytes (bin, or str as UTF-8); nil or absent gives null. The result is a copy. */
export function readBytesOrNull(value: unknown, path: string): Uint8Array | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'string') return textEncoder.encode(value);
  return invalidField(path, 'bytes', value);
}

/** Read bytes; nil or absent gives an empty array. */
export function readBytes(value: unknown, path: string): Uint8Array {
  return readBytesOrNull(value, path) ?? new Uint8Array(0);
}

/** Read a string (str, or bin as UTF-8); nil or absent gives "". */
export function readString(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return textDecoder.decode(value);
  return invalidField(path, 'string', value);
}

/** Read an integer that fits a JS number exactly; nil or absent gives 0. */
export function readInt(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return invalidField(path, 'integer within ±2^53', value);
}

/** Read a boolean; nil or absent gives false. */
export function readBool(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  return invalidField(path, 'boolean', value);
}

/** Read an array of `T`; nil or absent gives []. */
export function readArray<T>(
  value: unknown,
  path: string,
  decode: (v: unknown, path: string) => T,
): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalidField(path, 'array', value);
  return value.map((v, i) => decode(v, `${path}[${i}]`));
}
