import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGregorError } from '../../../packages/client/src/errors.js';
import { encodeCanonical, fromHex, toHex } from '../../../packages/client/src/protocol/index.js';
import {
  encodeFrame,
  encodeLengthPrefix,
  FrameDecoder,
} from '../../../packages/client/src/rpc/internal.js';

const PING_CALL = '1c940001b6677265676f722e312e696e636f6d696e672e70696e679180';
const PONG_RESPONSE = '09940101c0a4706f6e67';
const MAX = 16 * 1024 * 1024;

interface Outcome {
  frames: string[];
  code?: string;
}

/** Feed `chunks` to a fresh decoder, pulling every frame; stop at the first error. */
function feed(chunks: Uint8Array[], maxFrameBytes = MAX): Outcome {
  const decoder = new FrameDecoder(maxFrameBytes);
  const frames: string[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    try {
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) frames.push(toHex(f));
    } catch (err) {
      assert.ok(isGregorError(err), `not a GregorError: ${String(err)}`);
      return { frames, code: err.code };
    }
  }
  return { frames };
}

/** The vector fed whole, byte by byte, and split in two at every offset: all give `expected`. */
function assertAllSplits(hex: string, expected: Outcome, maxFrameBytes = MAX): void {
  const bytes = fromHex(hex);
  assert.deepEqual(feed([bytes], maxFrameBytes), expected, 'whole');
  const single = Array.from(bytes, (b) => Uint8Array.of(b));
  assert.deepEqual(feed(single, maxFrameBytes), expected, 'byte by byte');
  for (let at = 1; at < bytes.length; at++) {
    const split = [bytes.subarray(0, at), bytes.subarray(at)];
    assert.deepEqual(feed(split, maxFrameBytes), expected, `split at ${at}`);
  }
}

describe('FrameDecoder', () => {
  it('reads the ping call and pong response vectors (the hex examples of docs/protocol.md)', () => {
    assertAllSplits(PING_CALL, { frames: [PING_CALL.slice(2)] });
    assertAllSplits(PONG_RESPONSE, { frames: [PONG_RESPONSE.slice(2)] });
  });

  it('reads many frames from one chunk and a frame split across chunks', () => {
    assertAllSplits(PING_CALL + PONG_RESPONSE + PING_CALL, {
      frames: [PING_CALL.slice(2), PONG_RESPONSE.slice(2), PING_CALL.slice(2)],
    });
  });

  for (const prefix of [
    '02',
    'cc02',
    'cd0002',
    'ce00000002',
    'cf0000000000000002',
    'd002',
    'd10002',
    'd200000002',
    'd30000000000000002',
  ]) {
    it(`accepts the length prefix form ${prefix.slice(0, 2)} (case 69: any msgpack int)`, () => {
      assertAllSplits(`${prefix}9100${prefix}9101`, { frames: ['9100', '9101'] });
    });
  }

  it('reads a 300-byte payload behind cd 01 2c', () => {
    const payload = new Uint8Array(300).fill(0x01);
    payload[0] = 0x91;
    const frame = encodeFrame(payload);
    assert.equal(toHex(frame.subarray(0, 3)), 'cd012c');
    assertAllSplits(toHex(frame), { frames: [toHex(payload)] });
  });

  for (const [hex, code, why] of [
    ['00', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'zero length'],
    ['ff', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'negative fixint length'],
    ['d0ff', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'negative int8 length'],
    ['d1ff00', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'negative int16 length'],
    ['d3ffffffffffffffff', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'negative int64 length'],
    ['c0', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'nil as length'],
    ['a13191', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'a string as length'],
    ['ca3f800000', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'a float as length'],
    ['ce01000001', 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE', 'one byte over 16 MiB'],
    ['cf0000000100000000', 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE', '2^32 as uint64'],
    ['d37fffffffffffffff', 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE', 'int64 max'],
    ['028000', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'a map payload'],
    ['029000', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'an empty array payload'],
    ['04dc000100', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'an array16 payload (Go wants a fixarray)'],
  ] as const) {
    it(`rejects ${why} with ${code}`, () => {
      assertAllSplits(hex, { frames: [], code });
    });
  }

  it('refuses a frame above its own maxFrameBytes, and accepts one at it', () => {
    assertAllSplits('039100009100', { frames: [], code: 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE' }, 2);
    assertAllSplits('0291000291ff', { frames: ['9100', '91ff'] }, 2);
  });

  it('refuses a bad payload prefix before the declared length has arrived', () => {
    const decoder = new FrameDecoder(MAX);
    decoder.push(fromHex('ce0100000080'));
    assert.throws(() => decoder.next(), { code: 'GREGOR_ERR_PROTOCOL_BAD_FRAME' });
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder(MAX);
    decoder.push(fromHex('00'));
    assert.throws(() => decoder.next(), { code: 'GREGOR_ERR_PROTOCOL_BAD_FRAME' });
    decoder.push(fromHex(PING_CALL));
    assert.throws(() => decoder.next(), { code: 'GREGOR_ERR_PROTOCOL_BAD_FRAME' });
  });

  it('counts buffered bytes and keeps them until the frame completes', () => {
    const decoder = new FrameDecoder(MAX);
    const bytes = fromHex(PING_CALL);
    decoder.push(bytes.subarray(0, 10));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.bufferedBytes, 9);
    decoder.push(bytes.subarray(10));
    assert.equal(toHex(decoder.next()!), PING_CALL.slice(2));
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.next(), undefined);
  });

  it('reassembles a large frame from thousands of small chunks', () => {
    const payload = new Uint8Array(200_000);
    payload[0] = 0x92;
    for (let i = 1; i < payload.length; i++) payload[i] = i & 0xff;
    const frame = encodeFrame(payload);
    const decoder = new FrameDecoder(MAX);
    const frames: Uint8Array[] = [];
    for (let at = 0; at < frame.length; at += 7) {
      decoder.push(frame.subarray(at, at + 7));
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) frames.push(f);
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], payload);
  });
});

describe('encodeLengthPrefix', () => {
  for (const [length, hex] of [
    [1, '01'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [300, 'cd012c'],
    [65_535, 'cdffff'],
    [65_536, 'ce00010000'],
    [16 * 1024 * 1024, 'ce01000000'],
  ] as const) {
    it(`writes ${length} as ${hex}, the smallest unsigned form, as go-codec does`, () => {
      assert.equal(toHex(encodeLengthPrefix(length)), hex);
      assert.equal(toHex(encodeCanonical(length)), hex);
    });
  }
});
