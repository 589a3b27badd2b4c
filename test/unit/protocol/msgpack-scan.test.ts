// The bounds check that runs before any msgpack from the network is decoded: every header must
// fit the bytes left, nesting and the number of values are bounded, and what passes decodes to
// what the library decodes on its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode as libraryDecode } from '@msgpack/msgpack';
import {
  DEFAULT_DECODE_LIMITS,
  decodeMsgpack,
  encodeCanonical,
  fromHex,
  scanMsgpack,
  splitMsgpackArray,
} from '../../../packages/client/src/protocol/internal.js';
import { prng } from '../../helpers/random.js';

const LIMITS = { maxDepth: 64, maxValues: 1000 };

/** `[0, 1, "gregor.1.incoming.ping", [...]]` whose args are `depth` nested array32 headers each claiming 16,777,215 elements. */
function nestedArrayBomb(depth: number): Uint8Array {
  const head = encodeCanonical([0, 1, 'gregor.1.incoming.ping']);
  head[0] = 0x94;
  const bomb = new Uint8Array(depth * 5);
  for (let i = 0; i < depth; i++) bomb.set([0xdd, 0x00, 0xff, 0xff, 0xff], i * 5);
  const out = new Uint8Array(head.byteLength + bomb.byteLength);
  out.set(head);
  out.set(bomb, head.byteLength);
  return out;
}

function refusal(pattern: RegExp) {
  return { code: 'GREGOR_ERR_PROTOCOL_BAD_FRAME', message: pattern };
}

describe('scanMsgpack', () => {
  it('refuses the 40 nested array32 headers claiming 16M elements each, before allocating', () => {
    const frame = nestedArrayBomb(40);
    assert.ok(frame.byteLength < 228);
    assert.throws(() => scanMsgpack(frame, DEFAULT_DECODE_LIMITS), refusal(/16777215 elements/));
    assert.throws(() => decodeMsgpack(frame), refusal(/elements claimed/));
  });

  it('refuses str, bin, ext and map headers that claim more than is left', () => {
    for (const hex of [
      'dbffffffff61',
      'c6ffffffff00',
      'c9ffffffff0100',
      'df0000ffff01',
      'd90561',
    ]) {
      assert.throws(() => scanMsgpack(fromHex(hex), LIMITS), refusal(/claimed/), hex);
    }
  });

  it('counts a map as twice its entries against the bytes left', () => {
    // fixmap of 2 entries needs 4 values; 3 bytes follow.
    assert.throws(() => scanMsgpack(fromHex('82010203'), LIMITS), refusal(/4 elements/));
    assert.doesNotThrow(() => scanMsgpack(fromHex('8201020304'), LIMITS));
  });

  it('bounds the nesting depth and the number of values', () => {
    const deep = (n: number): Uint8Array => {
      const bytes = new Uint8Array(n + 1).fill(0x91);
      bytes[n] = 0x00;
      return bytes;
    };
    assert.doesNotThrow(() => scanMsgpack(deep(64), LIMITS));
    assert.throws(() => scanMsgpack(deep(65), LIMITS), refusal(/deeper than 64/));
    const wide = encodeCanonical(new Array(1000).fill(0));
    assert.throws(() => scanMsgpack(wide, LIMITS), refusal(/more than 1000 values/));
    assert.doesNotThrow(() => scanMsgpack(wide, { ...LIMITS, maxValues: 1001 }));
  });

  it('refuses truncated input, trailing bytes and the reserved byte 0xc1', () => {
    assert.throws(
      () => scanMsgpack(fromHex('9201'), LIMITS),
      refusal(/elements claimed|truncated/),
    );
    assert.throws(() => scanMsgpack(fromHex('cd01'), LIMITS), refusal(/truncated/));
    assert.throws(() => scanMsgpack(fromHex('0101'), LIMITS), refusal(/1 extra bytes/));
    assert.throws(() => scanMsgpack(fromHex('c1'), LIMITS), refusal(/reserved/));
    assert.throws(() => scanMsgpack(new Uint8Array(0), LIMITS), refusal(/truncated/));
  });

  it('returns the offsets of the top-level array elements', () => {
    const bytes = encodeCanonical([0, 7, 'm', [{ a: [1, 2] }], null]);
    const parts = splitMsgpackArray(bytes, DEFAULT_DECODE_LIMITS);
    assert.deepEqual(
      parts?.map((p) => p.decode()),
      [0, 7, 'm', [{ a: [1, 2] }], null],
    );
    assert.equal(splitMsgpackArray(encodeCanonical({ a: 1 })), undefined);
    assert.deepEqual(splitMsgpackArray(encodeCanonical([])), []);
  });

  it('accepts what the encoder writes and decodes it as the library does (seeded)', () => {
    const seed = 0x5ca4;
    const random = prng(seed);
    const int = (n: number): number => Math.floor(random() * n);
    const value = (depth: number): unknown => {
      switch (depth > 4 ? int(6) : int(9)) {
        case 0:
          return int(2 ** 31) - (int(2) ? 2 ** 30 : 0);
        case 1:
          return 2 ** 40 + int(1000);
        case 2:
          return 'x'.repeat(int(300));
        case 3:
          return new Uint8Array(int(70_000) * (int(8) === 0 ? 1 : 0)).fill(1);
        case 4:
          return random() < 0.5 ? null : random() < 0.5;
        case 5:
          return random() + 0.5;
        case 6:
          return Array.from({ length: int(20) }, () => value(depth + 1));
        case 7:
          return Object.fromEntries(
            Array.from({ length: int(20) }, (_, i) => [`k${i}`, value(depth + 1)]),
          );
        default:
          return Array.from({ length: int(3) * 2_000 }, () => 1);
      }
    };
    for (let i = 0; i < 150; i++) {
      const bytes = encodeCanonical(value(0));
      assert.deepEqual(decodeMsgpack(bytes), libraryDecode(bytes), `seed ${seed}, case ${i}`);
    }
  });

  it('never accepts a truncated prefix of a valid value', () => {
    const bytes = encodeCanonical({ a: [1, 'two', new Uint8Array(300)], b: { c: 2 ** 40 } });
    for (let end = 0; end < bytes.byteLength; end++) {
      assert.throws(() => scanMsgpack(bytes.subarray(0, end), LIMITS), refusal(/./), `end ${end}`);
    }
  });
});
