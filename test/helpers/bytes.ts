/** Byte helpers shared by the tests that build frames by hand. */
import { encodeLengthPrefix } from '../../packages/client/src/rpc/internal.js';

/** The parts, one after another, in one fresh buffer. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A frame whose payload is `payload` bytes verbatim (its length prefix added). */
export function rawFrame(payload: Uint8Array): Uint8Array {
  return concat(encodeLengthPrefix(payload.byteLength), payload);
}
