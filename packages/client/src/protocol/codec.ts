/**
 * The one msgpack configuration of the codebase (docs/data-model.md, "The state hash";
 * docs/protocol.md, "Encoding").
 *
 * go-codec with `WriteExt: true` writes struct fields as maps with keys in byte order, the
 * smallest unsigned form for non-negative integers (a ms timestamp becomes `cf` + 8 bytes, never a
 * float), str8 for strings and bin for bytes. `@msgpack/msgpack` with `sortKeys: true` reproduces
 * those bytes; `ignoreUndefined` leaves out the avdl `?` unions that are absent (Go's omitempty).
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { scanMsgpack } from './msgpack-scan.js';

/**
 * Limits applied while decoding untrusted bytes. Every header is also checked against the bytes
 * that remain (msgpack-scan.ts), so together these bound what a decode can allocate.
 */
export interface DecodeLimits {
  /** Largest str, bin or ext accepted, in bytes. */
  readonly maxBytesLength: number;
  /** Deepest nesting of arrays and maps. */
  readonly maxDepth: number;
  /** Values in all (containers, map keys and scalars) in one decoded value. */
  readonly maxValues: number;
}

/**
 * @default 16 MiB strings/binaries, nesting 64 deep, 1M values. A gregor record nests about 8
 * deep; 1M values holds the `state` of a user with tens of thousands of items.
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytesLength: 16 * 1024 * 1024,
  maxDepth: 64,
  maxValues: 1024 * 1024,
};

const encoder = new Encoder({ sortKeys: true, ignoreUndefined: true, initialBufferSize: 4096 });

/**
 * Encode `value` canonically. The result is a fresh copy the caller may keep.
 * Values must already have the Go shape (see `toWire` helpers in wire.ts for records).
 */
export function encodeCanonical(value: unknown): Uint8Array {
  return encoder.encode(value);
}

const decoders = new Map<string, Decoder>();
/** The decoder of each limits object seen: finding it costs no key string per decode. */
const decoderOfLimits = new WeakMap<DecodeLimits, Decoder>();

function decoderFor(limits: DecodeLimits): Decoder {
  let decoder = decoderOfLimits.get(limits);
  if (decoder === undefined) {
    decoder = decoderByValues(limits);
    decoderOfLimits.set(limits, decoder);
  }
  return decoder;
}

/** One decoder per distinct pair of limits the library applies. */
function decoderByValues(limits: DecodeLimits): Decoder {
  const key = `${limits.maxBytesLength}/${limits.maxValues}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    decoder = new Decoder({
      maxStrLength: limits.maxBytesLength,
      maxBinLength: limits.maxBytesLength,
      maxArrayLength: limits.maxValues,
      maxMapLength: limits.maxValues,
      maxExtLength: limits.maxBytesLength,
    });
    decoders.set(key, decoder);
  }
  return decoder;
}

/**
 * Decode one msgpack value from untrusted bytes: the limits are checked over the whole input
 * before the decoder allocates anything (msgpack-scan.ts), then the library decodes. Throws
 * GREGOR_ERR_PROTOCOL_BAD_FRAME for input outside the limits and the library's error for other
 * malformed input; callers at the edge (rpc) turn either into a typed protocol error. Decoded
 * `bin` values are views into `bytes`: copy what you keep beyond the buffer's life (the record
 * decoders in decode.ts do).
 */
export function decodeMsgpack(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): unknown {
  scanMsgpack(bytes, limits);
  return decoderFor(limits).decode(bytes);
}

/**
 * One element of a checked msgpack array, still encoded: decoding it later costs no further
 * check, because the whole array passed the limits. Lets a reader decode a message's small fields
 * first and its arguments only once it has decided to serve them.
 */
export class CheckedMsgpack {
  readonly bytes: Uint8Array;
  readonly #limits: DecodeLimits;

  /** Only {@link splitMsgpackArray} makes these. */
  private constructor(bytes: Uint8Array, limits: DecodeLimits) {
    this.bytes = bytes;
    this.#limits = limits;
  }

  /** Decode the element (byte values are views of the original buffer). */
  decode(): unknown {
    return decoderFor(this.#limits).decode(this.bytes);
  }

  /** @internal */
  static of(bytes: Uint8Array, limits: DecodeLimits): CheckedMsgpack {
    return new CheckedMsgpack(bytes, limits);
  }
}

/**
 * Check `bytes` within `limits` and, when it is an array, return its elements still encoded;
 * `undefined` when it is another value. Throws as {@link decodeMsgpack} does.
 */
export function splitMsgpackArray(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): CheckedMsgpack[] | undefined {
  const offsets = scanMsgpack(bytes, limits);
  if (offsets.length === 0) return undefined;
  const elements: CheckedMsgpack[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    elements.push(CheckedMsgpack.of(bytes.subarray(offsets[i], offsets[i + 1]), limits));
  }
  return elements;
}
