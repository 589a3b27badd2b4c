import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, MsgID, UID } from '../../../packages/client/src/protocol/index.js';
import { resyncMessage, withCTime, withUID } from '../../../packages/server/src/server/internal.js';

const U1 = new Uint8Array(16).fill(1) as UID;
const U2 = new Uint8Array(16).fill(2) as UID;
const M1 = new Uint8Array(16).fill(9) as MsgID;
const md = { uid: U1, msgID: M1, ctime: 0, deviceID: null, inBandMsgType: 1 };

describe('message edits (SetCTime / SetUID)', () => {
  it('withCTime stamps a state update and leaves the original alone', () => {
    const m: Message = {
      ibm: { stateUpdate: { md: { ...md }, dismissal: { msgIDs: [M1], ranges: [] } } },
    };
    const stamped = withCTime(m, 1234);
    assert.equal(stamped.ibm!.stateUpdate!.md.ctime, 1234);
    assert.equal(m.ibm!.stateUpdate!.md.ctime, 0);
    assert.equal(stamped.ibm!.stateUpdate!.dismissal, m.ibm!.stateUpdate!.dismissal);
  });

  it('withCTime leaves sync and out-of-band messages as they are', () => {
    const sync: Message = { ibm: { stateSync: { md: { ...md } } } };
    const oobm: Message = { oobm: { uid: U1, system: 's', body: new Uint8Array() } };
    assert.equal(withCTime(sync, 5), sync);
    assert.equal(withCTime(oobm, 5), oobm);
  });

  it('withUID sets the uid on every part present, on a copy', () => {
    const m: Message = {
      ibm: { stateUpdate: { md: { ...md } }, stateSync: { md: { ...md } } },
      oobm: { uid: U1, system: 's', body: null },
    };
    const moved = withUID(m, U2);
    assert.deepEqual(moved.ibm!.stateUpdate!.md.uid, U2);
    assert.deepEqual(moved.ibm!.stateSync!.md.uid, U2);
    assert.deepEqual(moved.oobm!.uid, U2);
    assert.deepEqual(m.ibm!.stateUpdate!.md.uid, U1);
    assert.deepEqual(m.oobm!.uid, U1);
  });

  it('resyncMessage is an out-of-band gregor.resync with an empty, non-nil body', () => {
    const m = resyncMessage(U1);
    assert.deepEqual(m, { oobm: { uid: U1, system: 'gregor.resync', body: new Uint8Array(0) } });
  });
});
