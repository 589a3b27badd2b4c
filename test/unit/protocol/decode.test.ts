import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  decodeMsgpack,
  decodeSyncResult,
  encodeRecord,
  toHex,
} from '../../../packages/client/src/protocol/internal.js';

describe('record decoders (tolerant reading)', () => {
  it('decodes a nil msgs array as [] (case 71)', () => {
    const hash = new Uint8Array(32).fill(7);
    const result = decodeSyncResult({ msgs: null, hash }, 'r');
    assert.deepEqual(result.msgs, []);
    assert.equal(result.hash.length, 32);
  });

  it('treats absent keys as zero values', () => {
    const m = decodeMessage({ ibm: { stateUpdate: { md: {}, creation: {} } } }, 'm');
    const su = m.ibm?.stateUpdate;
    assert.equal(su?.md.ctime, 0);
    assert.equal(su?.md.uid.length, 0);
    assert.equal(su?.md.deviceID, null);
    assert.deepEqual(su?.creation?.dtime, { time: 0, offset: 0 });
    assert.deepEqual(su?.creation?.remindTimes, []);
    assert.equal(su?.creation?.body, null);
    assert.equal(su?.dismissal, undefined);
  });

  it('accepts str for byte fields and bin for string fields', () => {
    const m = decodeMessage(
      { oobm: { uid: 'ab', system: new TextEncoder().encode('sys'), body: 'x' } },
      'm',
    );
    assert.equal(toHex(m.oobm!.uid), '6162');
    assert.equal(m.oobm!.system, 'sys');
    assert.equal(new TextDecoder().decode(m.oobm!.body!), 'x');
  });

  it('names the field path when a value has the wrong shape', () => {
    assert.throws(
      () => decodeMessage({ ibm: { stateUpdate: { md: { ctime: 'soon' } } } }, 'arg.m'),
      {
        code: 'GREGOR_ERR_INPUT_INVALID',
        message: 'arg.m.ibm.stateUpdate.md.ctime: expected integer within ±2^53, got string',
      },
    );
    assert.throws(() => decodeMessage([1, 2], 'arg.m'), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: /arg\.m: expected map/,
    });
    assert.throws(
      () => decodeMessage({ ibm: { stateUpdate: { md: {}, dismissal: { msgIDs: [5] } } } }, 'm'),
      { message: /m\.ibm\.stateUpdate\.dismissal\.msgIDs\[0\]: expected bytes, got number/ },
    );
  });

  it('copies bytes out of the frame buffer', () => {
    const frame = encodeRecord({
      oobm: { uid: new Uint8Array([1, 2]), system: 's', body: new Uint8Array([9]) },
    });
    const m = decodeMessage(decodeMsgpack(frame), 'm');
    frame.fill(0);
    assert.deepEqual([...m.oobm!.uid], [1, 2]);
    assert.deepEqual([...m.oobm!.body!], [9]);
  });

  it('encodes empty arrays as nil and leaves absent unions out, as go-codec does', () => {
    const bytes = encodeRecord({
      ibm: {
        stateUpdate: { md: { uid: new Uint8Array([1]) }, dismissal: { msgIDs: [], ranges: [] } },
      },
    });
    const back = decodeMsgpack(bytes) as { ibm: { stateUpdate: Record<string, unknown> } };
    assert.deepEqual(Object.keys(back.ibm.stateUpdate).sort(), ['dismissal', 'md']);
    assert.deepEqual(back.ibm.stateUpdate.dismissal, { msgIDs: null, ranges: null });
  });
});
