/**
 * The one msgpack configuration of the codebase (gregor-protocol.md §3, §8).
 *
 * go-codec with `WriteExt: true` writes struct fields as maps with keys in byte order, the
 * smallest unsigned form for non-negative integers (a ms timestamp becomes `cf` + 8 bytes, never a
 * float), str8 for strings and bin for bytes. `@msgpack/msgpack` with `sortKeys: true` reproduces
 * those bytes; `ignoreUndefined` leaves out the avdl `?` unions that are absent (Go's omitempty).
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

/** Limits applied while decoding untrusted bytes, so a hostile header cannot allocate much. */
export interface DecodeLimits {
  /** Largest str or bin accepted, in bytes. */
  maxBytesLength: number;
  /** Largest array or map header accepted, in elements. */
  maxContainerLength: number;
}

/** @default 16 MiB strings/binaries and 1M-element containers; frames cap both well below. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytesLength: 16 * 1024 * 1024,
  maxContainerLength: 1024 * 1024,
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

function decoderFor(limits: DecodeLimits): Decoder {
  const key = `${limits.maxBytesLength}/${limits.maxContainerLength}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    decoder = new Decoder({
      maxStrLength: limits.maxBytesLength,
      maxBinLength: limits.maxBytesLength,
      maxArrayLength: limits.maxContainerLength,
      maxMapLength: limits.maxContainerLength,
      maxExtLength: limits.maxBytesLength,
    });
    decoders.set(key, decoder);
  }
  return decoder;
}

/**
 * Decode one msgpack value. Throws the library's error on malformed input; callers at the edge
 * (rpc) turn that into a typed protocol error. Decoded `bin` values are views into `bytes`:
 * copy what you keep beyond the buffer's life (the record decoders in decode.ts do).
 */
export function decodeMsgpack(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): unknown {
  return decoderFor(limits).decode(bytes);
}
