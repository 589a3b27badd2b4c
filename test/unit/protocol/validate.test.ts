import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_CONSUME_LIMITS,
  decodeMessage,
  type Message,
  messageUID,
  validateConsumeMessage,
} from '../../../packages/client/src/protocol/index.js';

const U1 = new Uint8Array(16).fill(1);
const M1 = new Uint8Array(16).fill(0x11);
const body = new Uint8Array([1]);

function creation(
  fields: Record<string, unknown>,
  md: Record<string, unknown> = { uid: U1, msgID: M1 },
): Message {
  return decodeMessage(
    { ibm: { stateUpdate: { md, creation: { category: 'c', body, ...fields } } } },
    'm',
  );
}

function dismissal(d: Record<string, unknown>): Message {
  return decodeMessage({ ibm: { stateUpdate: { md: { uid: U1, msgID: M1 }, dismissal: d } } }, 'm');
}

function rejects(m: Message, message: string | RegExp, code = 'GREGOR_ERR_INPUT_INVALID'): void {
  assert.throws(() => validateConsumeMessage(m), { code, message });
}

describe('validateConsumeMessage (case 57)', () => {
  it('rejects a message that is neither in-band nor out-of-band', () => {
    rejects({}, 'invalid consume call: unknown message type');
  });
  it('rejects a creation without a msgID or uid', () => {
    rejects(creation({}, { uid: U1 }), 'invalid consume call: missing msg ID');
    rejects(creation({}, { msgID: M1 }), 'invalid consume call: missing UID');
  });
  it('rejects an empty category and a nil body', () => {
    rejects(creation({ category: '' }), 'invalid consume call: missing category');
    rejects(creation({ body: null }), 'invalid consume call: missing body');
  });
  it('rejects a state update with neither creation nor dismissal', () => {
    const m = decodeMessage({ ibm: { stateUpdate: { md: { uid: U1, msgID: M1 } } } }, 'm');
    rejects(m, 'invalid consume call: unknown state update message type');
  });
  it('rejects out-of-band messages missing uid, system or body', () => {
    rejects(
      decodeMessage({ oobm: { system: 's', body } }, 'm'),
      'invalid consume call: missing UID',
    );
    rejects(
      decodeMessage({ oobm: { uid: U1, system: '', body } }, 'm'),
      'invalid consume call: missing system',
    );
    rejects(
      decodeMessage({ oobm: { uid: U1, system: 's' } }, 'm'),
      'invalid consume call: missing body',
    );
  });
  it('accepts an id-only or range-only dismissal and rejects one with neither (case 58)', () => {
    validateConsumeMessage(dismissal({ msgIDs: [M1] }));
    validateConsumeMessage(
      dismissal({ ranges: [{ category: 'c', endTime: { time: 0, offset: 0 } }] }),
    );
    rejects(
      dismissal({ msgIDs: [], ranges: [] }),
      'invalid consume call: missing msg IDs or ranges to dismiss',
    );
  });
  it('accepts a stateSync message without further checks', () => {
    validateConsumeMessage(
      decodeMessage({ ibm: { stateSync: { md: { uid: U1, msgID: M1 } } } }, 'm'),
    );
  });
  it('enforces the configured size limits with a clear error', () => {
    const big = new Uint8Array(DEFAULT_CONSUME_LIMITS.maxBodyBytes + 1);
    rejects(
      creation({ body: big }),
      `invalid consume call: body size is ${big.length}, more than the limit of ${DEFAULT_CONSUME_LIMITS.maxBodyBytes}`,
      'GREGOR_ERR_INPUT_TOO_LARGE',
    );
    rejects(
      creation({ category: 'x'.repeat(129) }),
      /category length is 129/,
      'GREGOR_ERR_INPUT_TOO_LARGE',
    );
    assert.throws(
      () => validateConsumeMessage(creation({}), { ...DEFAULT_CONSUME_LIMITS, maxIDBytes: 8 }),
      {
        code: 'GREGOR_ERR_INPUT_TOO_LARGE',
      },
    );
  });
  it('finds the uid of in-band and out-of-band messages', () => {
    assert.deepEqual(messageUID(creation({})), U1);
    assert.deepEqual(messageUID(decodeMessage({ oobm: { uid: U1, system: 's', body } }, 'm')), U1);
    assert.equal(messageUID({}), null);
  });
});
