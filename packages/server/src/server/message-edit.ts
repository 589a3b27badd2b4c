/**
 * Copy-on-write edits of a Message that gregord makes (Keybase's helpers): `SetCTime` after
 * storage stamped it and `SetUID` for each target of consumeMessageMulti. The
 * caller's message is never changed, so one decoded message can be fanned out safely.
 */
import {
  type Message,
  type OutOfBandMessage,
  RESYNC_SYSTEM,
  type Time,
  type UID,
} from 'gregor-client/protocol';

/**
 * `m` with `ibm.stateUpdate.md.ctime = ctime`. As Keybase's SetCTime, it touches state updates
 * only; sync messages and out-of-band messages come back as they are.
 */
export function withCTime(m: Message, ctime: Time): Message {
  const su = m.ibm?.stateUpdate;
  if (su === undefined || su.md.ctime === ctime) return m;
  return { ...m, ibm: { ...m.ibm, stateUpdate: { ...su, md: { ...su.md, ctime } } } };
}

/** `m` with its uid set: on the state update, the state sync and the out-of-band part (SetUID). */
export function withUID(m: Message, uid: UID): Message {
  const out: Message = { ...m };
  if (m.oobm !== undefined) out.oobm = { ...m.oobm, uid };
  const ibm = m.ibm;
  if (ibm !== undefined) {
    out.ibm = { ...ibm };
    if (ibm.stateUpdate !== undefined) {
      out.ibm.stateUpdate = { ...ibm.stateUpdate, md: { ...ibm.stateUpdate.md, uid } };
    }
    if (ibm.stateSync !== undefined) {
      out.ibm.stateSync = { ...ibm.stateSync, md: { ...ibm.stateSync.md, uid } };
    }
  }
  return out;
}

/** The out-of-band message sent to every local connection after the bus lost messages. */
export function resyncMessage(uid: UID): Message {
  const oobm: OutOfBandMessage = { uid, system: RESYNC_SYSTEM, body: new Uint8Array(0) };
  return { oobm };
}
