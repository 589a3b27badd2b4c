/**
 * Frame = msgpack integer length prefix + that many bytes of msgpack payload
 * (docs/protocol.md, "Framing").
 *
 * The reader is Go-compatible: any msgpack integer form is accepted as the length (case 69: a
 * `d1 …` prefix must be accepted). The writer uses the smallest unsigned form, as go-codec does
 * (300 → `cd 01 2c`), which is also the only set of forms the old Node reader understands.
 */
import { gregorError } from '../errors.js';

/** Longest length prefix: `cf`/`d3` + 8 bytes. */
export const MAX_LENGTH_PREFIX_BYTES = 9;

/** Bytes of a length prefix given its first byte, or 0 when the byte starts no msgpack integer. */
function prefixSize(head: number): number {
  if (head <= 0x7f || head >= 0xe0) return 1; // positive / negative fixint
  switch (head) {
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xce:
    case 0xd2:
      return 5;
    case 0xcf:
    case 0xd3:
      return 9;
    default:
      return 0;
  }
}

/**
 * Read the integer of a complete length prefix. 64-bit forms whose high word is set come back as
 * `Infinity` (too large) or `-1` (negative): either way the caller rejects them, so precision
 * beyond 2^32 never matters.
 */
function readPrefix(p: Uint8Array): number {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const head = p[0]!;
  if (head <= 0x7f) return head;
  if (head >= 0xe0) return head - 0x100;
  switch (head) {
    case 0xcc:
      return view.getUint8(1);
    case 0xcd:
      return view.getUint16(1);
    case 0xce:
      return view.getUint32(1);
    case 0xcf:
      return view.getUint32(1) === 0 ? view.getUint32(5) : Number.POSITIVE_INFINITY;
    case 0xd0:
      return view.getInt8(1);
    case 0xd1:
      return view.getInt16(1);
    case 0xd2:
      return view.getInt32(1);
    default: {
      // 0xd3: int64, big-endian two's complement.
      const high = view.getInt32(1);
      if (high < 0) return -1;
      return high === 0 ? view.getUint32(5) : Number.POSITIVE_INFINITY;
    }
  }
}

/** Encode `length` as the smallest unsigned msgpack integer, as go-codec writes it. */
export function encodeLengthPrefix(length: number): Uint8Array {
  if (length <= 0x7f) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0xcc, length);
  if (length <= 0xffff) return Uint8Array.of(0xcd, length >>> 8, length & 0xff);
  const out = new Uint8Array(5);
  out[0] = 0xce;
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

/** Prefix `payload` with its length: one fresh buffer holding the whole frame. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const prefix = encodeLengthPrefix(payload.byteLength);
  const out = new Uint8Array(prefix.byteLength + payload.byteLength);
  out.set(prefix, 0);
  out.set(payload, prefix.byteLength);
  return out;
}

/**
 * Splits a byte stream into frame payloads.
 *
 * `push` appends a chunk; `next` returns the next complete payload, or `undefined` when more bytes
 * are needed. The caller pulls frames one at a time, so it can stop (read back-pressure) and resume
 * later without losing buffered bytes. Chunks are never mutated: a payload lying within one chunk
 * is returned as a view of it, and a payload spanning chunks is copied once into a buffer of its
 * own when its last byte arrives, so the total copying is linear in the bytes received.
 *
 * A bad frame throws a ProtocolError and leaves the decoder unusable: the connection must close
 * (a bad or oversized frame closes that connection only).
 */
export class FrameDecoder {
  /** Largest payload accepted, in bytes; a change applies from the next length prefix. */
  maxFrameBytes: number;
  #chunks: Uint8Array[] = [];
  /** Index of the first unconsumed chunk in #chunks. */
  #first = 0;
  /** Bytes of #chunks[#first] already consumed. */
  #offset = 0;
  #buffered = 0;
  /** Payload length of the frame in progress, or -1 while reading a length prefix. */
  #frameLength = -1;
  #failed = false;
  #framesRead = 0;

  /** @param maxFrameBytes largest payload accepted, in bytes. */
  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received and not yet returned as (part of) a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Frames returned by `next` so far (the frame read deadline restarts with each). */
  get framesRead(): number {
    return this.#framesRead;
  }

  /** Append a chunk read from the stream. The chunk must not be modified afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
  }

  /** The next complete payload, or `undefined` when more bytes are needed. Throws on a bad frame. */
  next(): Uint8Array | undefined {
    if (this.#failed)
      throw gregorError('GREGOR_ERR_PROTOCOL_BAD_FRAME', 'frame decoder already failed');
    if (this.#frameLength < 0 && !this.#readLength()) return undefined;
    const length = this.#frameLength;
    if (this.#buffered === 0) return undefined;
    // Checked as soon as the first payload byte is here, so a bogus frame is refused before its
    // declared length is buffered.
    const head = this.#byteAt(0);
    if (head < 0x91 || head > 0x9f) {
      this.#fail();
      throw gregorError(
        'GREGOR_ERR_PROTOCOL_BAD_FRAME',
        `wrong message structure prefix (0x${head.toString(16)})`,
      );
    }
    if (this.#buffered < length) return undefined;
    this.#frameLength = -1;
    this.#framesRead++;
    return this.#take(length);
  }

  #readLength(): boolean {
    if (this.#buffered === 0) return false;
    const head = this.#byteAt(0);
    const size = prefixSize(head);
    if (size === 0) {
      this.#fail();
      throw gregorError(
        'GREGOR_ERR_PROTOCOL_BAD_FRAME',
        `frame length is not a msgpack integer (0x${head.toString(16)})`,
      );
    }
    if (this.#buffered < size) return false;
    const length = readPrefix(this.#take(size));
    if (length <= 0) {
      this.#fail();
      throw gregorError('GREGOR_ERR_PROTOCOL_BAD_FRAME', `invalid frame length: ${length}`);
    }
    if (length > this.maxFrameBytes) {
      this.#fail();
      throw gregorError(
        'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
        `frame length too big: ${length} > ${this.maxFrameBytes}`,
      );
    }
    this.#frameLength = length;
    return true;
  }

  #fail(): void {
    this.#failed = true;
    this.#chunks = [];
    this.#first = 0;
    this.#offset = 0;
    this.#buffered = 0;
  }

  /** The byte `index` positions past the read position; the caller knows it is buffered. */
  #byteAt(index: number): number {
    let i = this.#first;
    let at = this.#offset + index;
    while (at >= this.#chunks[i]!.byteLength) {
      at -= this.#chunks[i]!.byteLength;
      i++;
    }
    return this.#chunks[i]![at]!;
  }

  /** Consume `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const head = this.#chunks[this.#first]!;
    if (head.byteLength - this.#offset >= n) {
      const view = head.subarray(this.#offset, this.#offset + n);
      this.#advance(head, n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const count = Math.min(chunk.byteLength - this.#offset, n - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + count), filled);
      filled += count;
      this.#advance(chunk, count);
    }
    return out;
  }

  #advance(chunk: Uint8Array, n: number): void {
    this.#offset += n;
    if (this.#offset < chunk.byteLength) return;
    this.#chunks[this.#first] = EMPTY;
    this.#first++;
    this.#offset = 0;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 64) {
      // Drop consumed slots now and then, so a long run of small chunks does not grow the array.
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
