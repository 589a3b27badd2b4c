import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, MsgID, UID } from '../../../packages/client/src/protocol/index.js';
import { classifyMessage, inBandMetadata } from '../../../packages/client/src/state/internal.js';

const U1 = new Uint8Array(16).fill(1) as UID;
const M1 = new Uint8Array(16).fill(1) as MsgID;
const md = { uid: U1, msgID: M1, ctime: 0, deviceID: null, inBandMsgType: 1 };

describe('classifyMessage', () => {
  it('classifies out-of-band, update and sync messages', () => {
    const oobm: Message = { oobm: { uid: U1, system: 's', body: null } };
    assert.equal(classifyMessage(oobm).kind, 'oobm');
    const update = classifyMessage({
      ibm: { stateUpdate: { md, dismissal: { msgIDs: [M1], ranges: [] } } },
    });
    assert.equal(update.kind, 'update');
    assert.equal(classifyMessage({ ibm: { stateSync: { md } } }).kind, 'sync');
  });
  it('works on a private copy, filling absent arrays', () => {
    const original = { ibm: { stateUpdate: { md, dismissal: { msgIDs: [M1] } } } };
    const c = classifyMessage(original as unknown as Message);
    assert.equal(c.kind, 'update');
    if (c.kind !== 'update') return;
    assert.deepEqual(c.update.dismissal?.ranges, []);
    assert.notEqual(c.md.msgID, M1);
    assert.deepEqual(c.md.msgID, M1);
  });
  it('lets an in-band part win over an out-of-band one', () => {
    const both = { ibm: { stateSync: { md } }, oobm: { uid: U1, system: 's', body: null } };
    assert.equal(classifyMessage(both).kind, 'sync');
  });
  for (const [what, m] of [
    ['an empty message', {}],
    ['an empty ibm', { ibm: {} }],
    ['a nil uid', { ibm: { stateSync: { md: { ...md, uid: null } } } }],
    ['an empty msgID', { ibm: { stateUpdate: { md: { ...md, msgID: new Uint8Array(0) } } } }],
    ['a mistyped field', { ibm: { stateUpdate: { md, creation: { body: 5 } } } }],
  ] as const) {
    it(`rejects ${what} with GREGOR_ERR_INPUT_INVALID`, () => {
      assert.throws(() => classifyMessage(m as unknown as Message), {
        code: 'GREGOR_ERR_INPUT_INVALID',
      });
    });
  }
});

describe('inBandMetadata', () => {
  it('reads the stateUpdate md, else the stateSync md', () => {
    assert.equal(inBandMetadata({ stateUpdate: { md } })?.msgID, M1);
    assert.equal(inBandMetadata({ stateSync: { md } })?.msgID, M1);
    assert.equal(inBandMetadata({}), undefined);
  });
});
