/**
 * The saved form of a client's local copy (docs/client.md, "Persistence"; Keybase's
 * `storage/db.go`): two keys per user.
 * - `gregor/<hex uid>`: the canonical msgpack of State(user, device, nil), the bytes whose SHA-256
 *   is the state hash;
 * - `gregor/_ld<hex uid>`: the JSON object `{"d": [...], "o": [...]}`, the local dismissals and the
 *   msgpack-marshalled outbox messages, each as base64 as Go's encoding/json writes a []byte.
 * Only the visible state is saved, not the message log.
 */
import { gregorError } from '../errors.js';
import {
  decodeMessage,
  decodeMsgID,
  decodeMsgpack,
  decodeState,
  encodeRecord,
  encodeState,
  type Message,
  type MsgID,
  type State,
  toHex,
  type UID,
} from '../protocol/internal.js';

/** The storage keys of a user's saved state and of its local dismissals + outbox. */
export function storageKeys(uid: UID): { state: string; local: string } {
  const hex = toHex(uid);
  return { state: `gregor/${hex}`, local: `gregor/_ld${hex}` };
}

/** The client-only parts saved beside the state. */
export interface SavedLocal {
  localDismissals: MsgID[];
  outbox: Message[];
}

// btoa/atob exist in browsers and in Node ≥ 16, so this file stays browser-safe.
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: unknown, path: string): Uint8Array {
  if (typeof text !== 'string') throw invalid(`${path} is not a base64 string`);
  let binary: string;
  try {
    binary = atob(text);
  } catch (err) {
    throw invalid(`${path} is not valid base64`, err);
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function invalid(what: string, cause?: unknown): Error {
  return gregorError('GREGOR_ERR_INPUT_INVALID', `saved client state: ${what}`, { cause });
}

/** The saved bytes of a state. */
export function encodeSavedState(state: State): Uint8Array {
  return encodeState(state);
}

/** A saved state back; throws GREGOR_ERR_INPUT_INVALID naming the bad field. */
export function decodeSavedState(bytes: Uint8Array): State {
  let raw: unknown;
  try {
    raw = decodeMsgpack(bytes);
  } catch (err) {
    throw invalid('state is not msgpack', err);
  }
  return decodeState(raw, 'state');
}

/** The saved bytes of the local dismissals and the outbox. */
export function encodeSavedLocal(local: SavedLocal): Uint8Array {
  const json = JSON.stringify({
    d: local.localDismissals.map(toBase64),
    o: local.outbox.map((m) => toBase64(encodeRecord(m))),
  });
  return new TextEncoder().encode(json);
}

/** Saved local dismissals and outbox back; throws GREGOR_ERR_INPUT_INVALID naming the bad part. */
export function decodeSavedLocal(bytes: Uint8Array): SavedLocal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw invalid('local dismissals and outbox are not JSON', err);
  }
  const { d, o } = (parsed ?? {}) as { d?: unknown; o?: unknown };
  // Go writes a nil slice as JSON null: read it as empty.
  const list = (value: unknown, path: string): unknown[] => {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(`${path} is not an array`);
    return value;
  };
  return {
    localDismissals: list(d, 'd').map((v, i) => decodeMsgID(fromBase64(v, `d[${i}]`), `d[${i}]`)),
    outbox: list(o, 'o').map((v, i) => {
      const bytes = fromBase64(v, `o[${i}]`);
      let raw: unknown;
      try {
        raw = decodeMsgpack(bytes);
      } catch (err) {
        throw invalid(`o[${i}] is not msgpack`, err);
      }
      return decodeMessage(raw, `o[${i}]`);
    }),
  };
}
