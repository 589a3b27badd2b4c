/**
 * A bounds check of untrusted msgpack, run before anything is decoded.
 *
 * A msgpack header states how many elements or bytes follow, and a decoder that trusts it can be
 * made to allocate without bound from a few bytes (40 nested `array32` headers each claiming 16M
 * elements fit in 228 bytes). This pass walks the bytes once, allocating nothing per element, and
 * refuses a value unless every header fits what is left of the input: a container of n elements
 * needs at least n bytes (2n for a map), a str, bin or ext at least its length. It also bounds the
 * nesting depth and the total number of values, so what a decoder builds afterwards is linear in
 * the input with a small constant. Only then does the library decoder run (codec.ts).
 *
 * The walk is iterative (an explicit stack of counts), so depth cannot exhaust the call stack.
 */
import { gregorError } from '../errors.js';

/** Limits checked while scanning. */
export interface ScanLimits {
  /** Deepest nesting of arrays and maps; a scalar at the top is depth 0. */
  readonly maxDepth: number;
  /** Values in all, containers and scalars, map keys included. */
  readonly maxValues: number;
}

function refuse(detail: string): never {
  throw gregorError('GREGOR_ERR_PROTOCOL_BAD_FRAME', `msgpack refused: ${detail}`);
}

/** What a head byte begins: a scalar, an array, a map, or bytes (str, bin, ext). */
const SCALAR = 0;
const ARRAY = 1;
const MAP = 2;
const BYTES = 3;
/** Reserved: never valid msgpack. */
const INVALID = 4;

/**
 * For each head byte: its kind, the size of its header, and where its count or length lies: for
 * fix types in the head byte itself (`FIX_MASK`), else in the `LENGTH_BYTES` bytes after it.
 * Tables keep the per-value work to a few array reads (the scan runs on every incoming frame).
 */
const KIND = new Uint8Array(256);
const HEADER_BYTES = new Uint8Array(256).fill(1);
const LENGTH_BYTES = new Uint8Array(256);
const FIX_MASK = new Uint8Array(256);

function define(head: number, kind: number, headerBytes: number, lengthBytes = 0): void {
  KIND[head] = kind;
  HEADER_BYTES[head] = headerBytes;
  LENGTH_BYTES[head] = lengthBytes;
}
/** fixmap, fixarray, fixstr: the count or length is in the head byte's low bits. */
function defineFix(first: number, last: number, kind: number): void {
  for (let head = first; head <= last; head++) {
    define(head, kind, 1);
    FIX_MASK[head] = last - first;
  }
}
defineFix(0x80, 0x8f, MAP);
defineFix(0x90, 0x9f, ARRAY);
defineFix(0xa0, 0xbf, BYTES);
define(0xc1, INVALID, 1);
define(0xc4, BYTES, 2, 1); // bin 8, 16, 32
define(0xc5, BYTES, 3, 2);
define(0xc6, BYTES, 5, 4);
define(0xc7, BYTES, 3, 1); // ext 8, 16, 32: length, then a type byte
define(0xc8, BYTES, 4, 2);
define(0xc9, BYTES, 6, 4);
define(0xca, SCALAR, 5); // float 32, 64
define(0xcb, SCALAR, 9);
define(0xcc, SCALAR, 2); // uint 8..64
define(0xcd, SCALAR, 3);
define(0xce, SCALAR, 5);
define(0xcf, SCALAR, 9);
define(0xd0, SCALAR, 2); // int 8..64
define(0xd1, SCALAR, 3);
define(0xd2, SCALAR, 5);
define(0xd3, SCALAR, 9);
define(0xd4, SCALAR, 3); // fixext 1, 2, 4, 8, 16: type byte + data
define(0xd5, SCALAR, 4);
define(0xd6, SCALAR, 6);
define(0xd7, SCALAR, 10);
define(0xd8, SCALAR, 18);
define(0xd9, BYTES, 2, 1); // str 8, 16, 32
define(0xda, BYTES, 3, 2);
define(0xdb, BYTES, 5, 4);
define(0xdc, ARRAY, 3, 2); // array 16, 32
define(0xdd, ARRAY, 5, 4);
define(0xde, MAP, 3, 2); // map 16, 32
define(0xdf, MAP, 5, 4);

/** The big-endian unsigned integer of `count` (1, 2 or 4) bytes at `at`. */
function readLength(bytes: Uint8Array, at: number, count: number): number {
  if (count === 1) return bytes[at]!;
  if (count === 2) return (bytes[at]! << 8) | bytes[at + 1]!;
  return (
    ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  );
}

/**
 * Check that `bytes` holds exactly one msgpack value within `limits`. Returns the byte offset of
 * each element of the top-level array (plus the end offset as the last entry) when the value is an
 * array, else an empty list, so a caller can decode the elements one at a time. Throws
 * GREGOR_ERR_PROTOCOL_BAD_FRAME naming the first violation.
 */
export function scanMsgpack(bytes: Uint8Array, limits: ScanLimits): number[] {
  const end = bytes.byteLength;
  const topOffsets: number[] = [];
  /** Elements still to read in each open container (a map counts keys and values). */
  const pending: number[] = [];
  let pos = 0;
  let values = 0;
  let isTopArray = false;
  do {
    if (isTopArray && pending.length === 1) topOffsets.push(pos);
    if (pos >= end) refuse(`truncated at byte ${pos}`);
    if (++values > limits.maxValues) refuse(`more than ${limits.maxValues} values`);
    const head = bytes[pos]!;
    const kind = KIND[head]!;
    if (kind === INVALID) refuse(`reserved byte 0x${head.toString(16)} at ${pos}`);
    const size = HEADER_BYTES[head]!;
    if (pos + size > end) refuse(`truncated value at byte ${pos}`);
    if (pending.length > 0) pending[pending.length - 1]!--;
    if (kind === SCALAR) {
      pos += size;
    } else {
      const lengthBytes = LENGTH_BYTES[head]!;
      const n =
        lengthBytes === 0 ? head & FIX_MASK[head]! : readLength(bytes, pos + 1, lengthBytes);
      const at = pos;
      pos += size;
      const left = end - pos;
      if (kind === BYTES) {
        if (n > left) refuse(`${n} bytes claimed at byte ${at}, ${left} left`);
        pos += n;
      } else {
        const elements = kind === MAP ? 2 * n : n;
        if (elements > left) {
          refuse(`${elements} elements claimed at byte ${at}, ${left} bytes left`);
        }
        if (pending.length === 0 && kind === ARRAY) isTopArray = true;
        if (elements > 0) {
          if (pending.length >= limits.maxDepth) refuse(`nested deeper than ${limits.maxDepth}`);
          pending.push(elements);
        }
      }
    }
    while (pending.length > 0 && pending[pending.length - 1] === 0) pending.pop();
  } while (pending.length > 0);
  if (pos !== end) refuse(`${end - pos} extra bytes after the value`);
  if (isTopArray) topOffsets.push(end);
  return topOffsets;
}
