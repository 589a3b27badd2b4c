/**
 * The bytes of a revocation announcement on the bus: the msgpack of `{revocations: [...]}`, each
 * entry a map with its kind (`session` or `user`) and its fields, times in ms since the epoch.
 * The bus carries them opaquely; only gregord reads them.
 */
import {
  decodeMsgpack,
  decodeUID,
  encodeRecord,
  invalidField,
  readArray,
  readInt,
  readMap,
  readString,
} from 'gregor-client/protocol/internal';
import type { Revocation } from '../auth/index.js';

/** The announcement of `revocations`. */
export function encodeRevocations(revocations: readonly Revocation[]): Uint8Array {
  return encodeRecord({ revocations });
}

function decodeRevocation(value: unknown, path: string): Revocation {
  const m = readMap(value, path);
  const untilMs = readInt(m.untilMs, `${path}.untilMs`);
  const kind = readString(m.kind, `${path}.kind`);
  if (kind === 'session') return { kind, sid: readString(m.sid, `${path}.sid`), untilMs };
  if (kind === 'user') {
    const uid = decodeUID(m.uid, `${path}.uid`);
    return {
      kind,
      uid,
      issuedBeforeMs: readInt(m.issuedBeforeMs, `${path}.issuedBeforeMs`),
      untilMs,
    };
  }
  return invalidField(`${path}.kind`, '"session" or "user"', kind);
}

/** The revocations of an announcement; throws an InputError on a malformed one. */
export function decodeRevocations(bytes: Uint8Array): Revocation[] {
  const m = readMap(decodeMsgpack(bytes), 'announcement');
  return readArray(m.revocations, 'announcement.revocations', decodeRevocation);
}
