/**
 * describeConnectedUsers across instances (the Go
 * snapshot fanned out with the Internal variant, here it is one `bus.gather`). The request and the
 * replies are the msgpack of the method's own argument and result records, so they need no schema
 * of their own.
 */
import {
  type ConnectedUser,
  decodeConnectedUser,
  decodeMsgpack,
  decodeUID,
  encodeRecord,
  readArray,
  readMap,
  toHex,
  type UID,
} from 'gregor-client/protocol/internal';

/** The gather request for `uids`. */
export function encodeDescribeRequest(uids: readonly UID[]): Uint8Array {
  return encodeRecord({ uids });
}

/** The uids of a gather request; throws an InputError on a malformed one. */
export function decodeDescribeRequest(bytes: Uint8Array): UID[] {
  const m = readMap(decodeMsgpack(bytes), 'request');
  return readArray(m.uids, 'request.uids', decodeUID);
}

/** One instance's reply. */
export function encodeDescribeReply(users: readonly ConnectedUser[]): Uint8Array {
  return encodeRecord({ users });
}

/** The users of one reply; throws an InputError on a malformed one. */
export function decodeDescribeReply(bytes: Uint8Array): ConnectedUser[] {
  const m = readMap(decodeMsgpack(bytes), 'reply');
  return readArray(m.users, 'reply.users', decodeConnectedUser);
}

/** Merge per-instance lists: one entry per uid, first-seen order, devices concatenated. */
export function mergeConnectedUsers(lists: readonly (readonly ConnectedUser[])[]): ConnectedUser[] {
  const byUID = new Map<string, ConnectedUser>();
  for (const list of lists) {
    for (const user of list) {
      const key = toHex(user.uid);
      const known = byUID.get(key);
      if (known === undefined) byUID.set(key, { uid: user.uid, devices: [...user.devices] });
      else known.devices.push(...user.devices);
    }
  }
  return [...byUID.values()];
}
