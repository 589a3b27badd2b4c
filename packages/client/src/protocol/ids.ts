/**
 * IDs as application code meets them: hex strings in, the branded byte types out, so that no
 * caller needs a cast. Keybase's UIDs, device IDs and message IDs are 16 bytes; these helpers
 * accept exactly that, as 32 hex digits (either case) or as bytes. Browser-safe: random IDs come
 * from the Web Crypto `getRandomValues` that browsers and Node ≥ 19 share.
 */
import { gregorError } from '../errors.js';
import { fromHex } from './hex.js';
import type { DeviceID, MsgID, UID } from './records.js';

/** Bytes in a UID, a DeviceID and a MsgID made here. */
export const ID_BYTES = 16;

const HEX_ID = /^[0-9a-fA-F]{32}$/;

function parseId(value: string | Uint8Array, what: string): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== ID_BYTES) {
      throw gregorError(
        'GREGOR_ERR_INPUT_INVALID',
        `invalid ${what}: ${value.length} bytes, expected ${ID_BYTES}`,
      );
    }
    return value.slice();
  }
  if (typeof value !== 'string' || !HEX_ID.test(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw gregorError(
      'GREGOR_ERR_INPUT_INVALID',
      `invalid ${what}: ${shown}, expected ${ID_BYTES * 2} hex digits`,
    );
  }
  return fromHex(value);
}

/** A new random message ID (16 bytes from the platform's cryptographic generator). */
export function newId(): MsgID {
  return globalThis.crypto.getRandomValues(new Uint8Array(ID_BYTES)) as MsgID;
}

/** A UID from 32 hex digits or 16 bytes (copied); GREGOR_ERR_INPUT_INVALID otherwise. */
export function parseUid(value: string | Uint8Array): UID {
  return parseId(value, 'UID') as UID;
}

/** A MsgID from 32 hex digits or 16 bytes (copied); GREGOR_ERR_INPUT_INVALID otherwise. */
export function parseMsgId(value: string | Uint8Array): MsgID {
  return parseId(value, 'message ID') as MsgID;
}

/** A DeviceID from 32 hex digits or 16 bytes (copied); GREGOR_ERR_INPUT_INVALID otherwise. */
export function parseDeviceId(value: string | Uint8Array): DeviceID {
  return parseId(value, 'device ID') as DeviceID;
}

/** True when `value` is 32 hex digits, the form the parse functions accept as a string. */
export function isHexId(value: unknown): value is string {
  return typeof value === 'string' && HEX_ID.test(value);
}
