/**
 * The small binary envelope around every payload the Redis bus sends. It carries the origin
 * instance id, so that an instance can drop its own publications, and the request id of cluster
 * queries. The payload itself is opaque: the bus never decodes a gregor message.
 *
 * Layout (big-endian), 22 header bytes then the body:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 1 | version, {@link ENVELOPE_VERSION} |
 * | 1 | 1 | kind, {@link ENVELOPE_KIND} |
 * | 2 | 16 | origin instance id |
 * | 18 | 4 | request id (0 for a message) |
 * | 22 | … | body |
 */
import { randomBytes } from 'node:crypto';

/** The version byte this code writes and reads; anything else is dropped as malformed. */
export const ENVELOPE_VERSION = 1;

/** What an envelope holds. */
export const ENVELOPE_KIND = {
  /** A publication for the uid named by the channel. */
  message: 1,
  /** A cluster query, sent to every instance. */
  gatherRequest: 2,
  /** An answer to a cluster query, sent to the asker only. */
  gatherAnswer: 3,
  /** "No answer from me" (no handler, or it failed), so the asker need not wait for the timeout. */
  gatherDecline: 4,
  /** A message to every instance, whatever users it serves (a session revocation). */
  announcement: 5,
  /**
   * "Publications of mine were lost": sent once the sender's connection works again after a
   * publication failed, so that the receivers tell their clients to resync (gregor.resync). The
   * body lists the users concerned ({@link encodeUidList}), and it travels on each one's channel;
   * with an empty body, on the announcement channel, it means every user.
   */
  resyncRequest: 6,
} as const;
export type EnvelopeKind = (typeof ENVELOPE_KIND)[keyof typeof ENVELOPE_KIND];

/** Size of an instance id. */
export const INSTANCE_ID_BYTES = 16;
/** Size of the fixed header. */
export const ENVELOPE_HEADER_BYTES = 2 + INSTANCE_ID_BYTES + 4;

/** A decoded envelope. `origin` and `body` are views into the received bytes. */
export interface Envelope {
  readonly kind: EnvelopeKind;
  readonly origin: Uint8Array;
  readonly requestId: number;
  readonly body: Uint8Array;
}

/** A fresh random instance id. */
export function newInstanceId(): Buffer {
  return randomBytes(INSTANCE_ID_BYTES);
}

/** View `bytes` as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Build an envelope: one allocation, one copy of the body. */
export function encodeEnvelope(
  kind: EnvelopeKind,
  origin: Uint8Array,
  body: Uint8Array,
  requestId = 0,
): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + body.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = kind;
  out.set(origin.subarray(0, INSTANCE_ID_BYTES), 2);
  out.writeUInt32BE(requestId >>> 0, 2 + INSTANCE_ID_BYTES);
  out.set(body, ENVELOPE_HEADER_BYTES);
  return out;
}

function isKind(value: number): value is EnvelopeKind {
  return value >= ENVELOPE_KIND.message && value <= ENVELOPE_KIND.resyncRequest;
}

/**
 * Read an envelope, or return undefined when the bytes are not one this version wrote (too short,
 * another version, an unknown kind): such traffic on our channels is dropped, never thrown.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | undefined {
  if (bytes.length < ENVELOPE_HEADER_BYTES || bytes[0] !== ENVELOPE_VERSION) return undefined;
  const kind = bytes[1]!;
  if (!isKind(kind)) return undefined;
  return {
    kind,
    origin: bytes.subarray(2, 2 + INSTANCE_ID_BYTES),
    requestId: asBuffer(bytes).readUInt32BE(2 + INSTANCE_ID_BYTES),
    body: bytes.subarray(ENVELOPE_HEADER_BYTES),
  };
}

/** True when `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return asBuffer(a).equals(b);
}

/**
 * At most this many users get a resync request each; past it, one request names none, and every
 * instance resyncs every user.
 */
export const MAX_LISTED_UIDS = 1000;

/** Users as a resync request's body: for each, one length byte then the uid's bytes. */
export function encodeUidList(uids: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const uid of uids) size += 1 + uid.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const uid of uids) {
    out[at] = uid.length;
    out.set(uid, at + 1);
    at += 1 + uid.length;
  }
  return out;
}

/**
 * The users a resync request's body lists; undefined for an empty body (every user) or one that
 * does not parse (then every user too: resyncing too many is safe, too few is not).
 */
export function decodeUidList(body: Uint8Array): Uint8Array[] | undefined {
  const uids: Uint8Array[] = [];
  for (let at = 0; at < body.length; ) {
    const length = body[at]!;
    if (length === 0 || at + 1 + length > body.length) return undefined;
    uids.push(body.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  return uids.length === 0 ? undefined : uids;
}
