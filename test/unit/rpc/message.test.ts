import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMsgpack,
  encodeCanonical,
  fromHex,
  toHex,
} from '../../../packages/client/src/protocol/index.js';
import {
  COMPRESSION_TYPE,
  callSeqOf,
  encodeCallHeader,
  encodeFrame,
  encodeMessage,
  MESSAGE_TYPE,
  parseMessage,
  type RpcMessage,
} from '../../../packages/client/src/rpc/internal.js';

const PING = 'gregor.1.incoming.ping';
const bytes = (s: string) => new TextEncoder().encode(s);

describe('parseMessage', () => {
  it('parses a call, with and without tags', () => {
    assert.deepEqual(parseMessage([0, 1, PING, [{}]]), {
      type: 0,
      seq: 1,
      method: PING,
      args: [{}],
    });
    assert.deepEqual(parseMessage([0, 2, PING, [{}], { tag: 'x' }]), {
      type: 0,
      seq: 2,
      method: PING,
      args: [{}],
      tags: { tag: 'x' },
    });
  });

  it('parses a response, a notify, a cancel and a compressed call', () => {
    assert.deepEqual(parseMessage([1, 3, null, 'pong']), {
      type: 1,
      seq: 3,
      error: null,
      result: 'pong',
    });
    assert.deepEqual(parseMessage([2, 'a.b', [1]]), { type: 2, method: 'a.b', args: [1] });
    assert.deepEqual(parseMessage([3, 4, 'a.b']), { type: 3, seq: 4, method: 'a.b' });
    const packed = Uint8Array.of(1, 2, 3);
    assert.deepEqual(parseMessage([4, 5, 1, 'a.b', packed]), {
      type: 4,
      seq: 5,
      ctype: COMPRESSION_TYPE.gzip,
      method: 'a.b',
      args: packed,
    });
  });

  it('reads a method name sent as bin, as Go does', () => {
    const m = parseMessage([0, 1, bytes(PING), [{}]]);
    assert.equal(m.type === MESSAGE_TYPE.call && m.method, PING);
  });

  for (const [value, why] of [
    [[0, 1, PING], 'a call of 3 elements (Go minimum 4)'],
    [[1, 1, null], 'a response of 3 elements (minimum 4)'],
    [[2, PING], 'a notify of 2 elements (minimum 3)'],
    [[3, 1], 'a cancel of 2 elements (minimum 3)'],
    [[4, 1, 0, PING], 'a compressed call of 4 elements (minimum 5)'],
    [[5, 1, PING, []], 'an unknown type'],
    [['0', 1, PING, []], 'a type that is not an integer'],
    [[0, '1', PING, []], 'a seqno that is not an integer'],
    [[0, 1.5, PING, []], 'a fractional seqno'],
    [[0, 1, 7, []], 'a method that is not a string'],
    [[0, 1, Uint8Array.of(0xff, 0xfe), []], 'a method that is not UTF-8'],
    [[4, 1, 'x', PING, []], 'a compression type that is not an integer'],
    [{ 0: 0 }, 'a map'],
  ] as const) {
    it(`rejects ${why} with GREGOR_ERR_PROTOCOL_BAD_MESSAGE`, () => {
      assert.throws(() => parseMessage(value), { code: 'GREGOR_ERR_PROTOCOL_BAD_MESSAGE' });
    });
  }
});

describe('callSeqOf', () => {
  it('finds the seqno of a broken call or compressed call, and nothing else', () => {
    assert.equal(callSeqOf([0, 9, 7]), 9);
    assert.equal(callSeqOf([4, 8]), 8);
    assert.equal(callSeqOf([0, 'x']), undefined);
    assert.equal(callSeqOf([1, 9, null]), undefined);
    assert.equal(callSeqOf([3, 9]), undefined);
    assert.equal(callSeqOf('nope'), undefined);
  });
});

describe('encodeMessage', () => {
  it('encodes the ping call and its response exactly as docs/protocol.md shows', () => {
    const call = encodeMessage({ type: 0, seq: 1, method: PING, args: [{}] });
    assert.equal(
      toHex(encodeFrame(call)),
      '1c940001b6677265676f722e312e696e636f6d696e672e70696e679180',
    );
    const response = encodeMessage({ type: 1, seq: 1, error: null, result: 'pong' });
    assert.equal(toHex(encodeFrame(response)), '09940101c0a4706f6e67');
  });

  it('round-trips every message type through msgpack', () => {
    const messages: RpcMessage[] = [
      { type: 0, seq: 1, method: 'a.b', args: [{ x: 1 }] },
      { type: 0, seq: 2, method: 'a.b', args: [{}], tags: { t: 'v' } },
      { type: 1, seq: 3, error: { code: 218 }, result: null },
      { type: 2, method: 'a.b', args: [null] },
      { type: 2, method: 'a.b', args: [null], tags: { t: 'v' } },
      { type: 3, seq: 4, method: 'a.b' },
      { type: 4, seq: 5, ctype: 1, method: 'a.b', args: Uint8Array.of(9, 9) },
      { type: 4, seq: 6, ctype: 0, method: 'a.b', args: [{}], tags: { t: 'v' } },
    ];
    for (const m of messages) assert.deepEqual(parseMessage(decodeMsgpack(encodeMessage(m))), m);
  });

  it('writes a void response as [1, seq, nil, nil]', () => {
    assert.equal(
      toHex(encodeMessage({ type: 1, seq: 7, error: null, result: undefined })),
      '940107c0c0',
    );
  });
});

describe('encodeCallHeader', () => {
  it('spliced before the encoded args gives the same payload as encoding the whole call', () => {
    const arg = { m: { body: Uint8Array.of(1, 2, 3) } };
    const args = encodeCanonical([arg]);
    const header = encodeCallHeader(300, 'gregor.1.outgoing.broadcastMessage');
    const spliced = new Uint8Array(header.length + args.length);
    spliced.set(header);
    spliced.set(args, header.length);
    const whole = encodeMessage({
      type: 0,
      seq: 300,
      method: 'gregor.1.outgoing.broadcastMessage',
      args: [arg],
    });
    assert.equal(toHex(spliced), toHex(whole));
    assert.equal(toHex(fromHex(toHex(spliced)).subarray(0, 1)), '94');
  });
});
