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

/** How a head byte begins its value: the header size and, from it, the count or length. */
enum Kind {
  Scalar,
  Array,
  Map,
  Bytes,
}

/**
 * Check that `bytes` holds exactly one msgpack value within `limits`. Returns the byte offset of
 * each element of the top-level array (plus the end offset as the last entry) when the value is an
 * array, else an empty list, so a caller can decode the elements one at a time. Throws
 * GREGOR_ERR_PROTOCOL_BAD_FRAME naming the first violation.
 */
export function scanMsgpack(bytes: Uint8Array, limits: ScanLimits): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  const topOffsets: number[] = [];
  /** Elements still to read in each open container (a map counts keys and values). */
  const pending: number[] = [];
  let pos = 0;
  let values = 0;
  let isTopArray = false;
  do {
    if (pending.length === 1 && isTopArray) topOffsets.push(pos);
    if (pos >= end) refuse(`truncated at byte ${pos}`);
    if (++values > limits.maxValues) refuse(`more than ${limits.maxValues} values`);
    const head = bytes[pos]!;
    let kind = Kind.Scalar;
    let size = 1; // header bytes
    let n = 0; // elements or payload bytes
    if (head <= 0x7f || head >= 0xe0 || (head >= 0xc0 && head <= 0xc3)) {
      // fixint, nil, (never used) 0xc1, false, true
      if (head === 0xc1) refuse(`reserved byte 0xc1 at ${pos}`);
    } else if (head <= 0x8f) {
      kind = Kind.Map;
      n = head & 0x0f;
    } else if (head <= 0x9f) {
      kind = Kind.Array;
      n = head & 0x0f;
    } else if (head <= 0xbf) {
      kind = Kind.Bytes;
      n = head & 0x1f;
    } else {
      const need = (k: number): void => {
        if (pos + k > end) refuse(`truncated header at byte ${pos}`);
      };
      switch (head) {
        case 0xc4: // bin8
        case 0xd9: // str8
          need(2);
          kind = Kind.Bytes;
          size = 2;
          n = bytes[pos + 1]!;
          break;
        case 0xc5:
        case 0xda:
          need(3);
          kind = Kind.Bytes;
          size = 3;
          n = view.getUint16(pos + 1);
          break;
        case 0xc6:
        case 0xdb:
          need(5);
          kind = Kind.Bytes;
          size = 5;
          n = view.getUint32(pos + 1);
          break;
        case 0xc7: // ext8: length, type
          need(3);
          kind = Kind.Bytes;
          size = 3;
          n = bytes[pos + 1]!;
          break;
        case 0xc8:
          need(4);
          kind = Kind.Bytes;
          size = 4;
          n = view.getUint16(pos + 1);
          break;
        case 0xc9:
          need(6);
          kind = Kind.Bytes;
          size = 6;
          n = view.getUint32(pos + 1);
          break;
        case 0xca: // float32
          size = 5;
          break;
        case 0xcb: // float64
          size = 9;
          break;
        case 0xcc:
        case 0xd0:
          size = 2;
          break;
        case 0xcd:
        case 0xd1:
          size = 3;
          break;
        case 0xce:
        case 0xd2:
          size = 5;
          break;
        case 0xcf:
        case 0xd3:
          size = 9;
          break;
        case 0xd4: // fixext 1, 2, 4, 8, 16: type byte + data
          size = 3;
          break;
        case 0xd5:
          size = 4;
          break;
        case 0xd6:
          size = 6;
          break;
        case 0xd7:
          size = 10;
          break;
        case 0xd8:
          size = 18;
          break;
        case 0xdc:
          need(3);
          kind = Kind.Array;
          size = 3;
          n = view.getUint16(pos + 1);
          break;
        case 0xdd:
          need(5);
          kind = Kind.Array;
          size = 5;
          n = view.getUint32(pos + 1);
          break;
        case 0xde:
          need(3);
          kind = Kind.Map;
          size = 3;
          n = view.getUint16(pos + 1);
          break;
        default: // 0xdf
          need(5);
          kind = Kind.Map;
          size = 5;
          n = view.getUint32(pos + 1);
      }
    }
    if (pos + size > end) refuse(`truncated value at byte ${pos}`);
    if (pending.length > 0) pending[pending.length - 1]!--;
    pos += size;
    const left = end - pos;
    if (kind === Kind.Bytes) {
      if (n > left) refuse(`${n} bytes claimed at byte ${pos - size}, ${left} left`);
      pos += n;
    } else if (kind !== Kind.Scalar) {
      const elements = kind === Kind.Map ? 2 * n : n;
      if (elements > left) {
        refuse(`${elements} elements claimed at byte ${pos - size}, ${left} bytes left`);
      }
      if (pending.length === 0 && kind === Kind.Array) isTopArray = true;
      if (elements > 0) {
        if (pending.length >= limits.maxDepth) refuse(`nested deeper than ${limits.maxDepth}`);
        pending.push(elements);
      }
    }
    while (pending.length > 0 && pending[pending.length - 1] === 0) pending.pop();
  } while (pending.length > 0);
  if (pos !== end) refuse(`${end - pos} extra bytes after the value`);
  if (isTopArray) topOffsets.push(end);
  return topOffsets;
}
