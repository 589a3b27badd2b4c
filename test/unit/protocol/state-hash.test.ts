import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  decodeMsgpack,
  decodeState,
  encodeCanonical,
  encodeState,
  type ItemAndMetadata,
  type MsgID,
  makeState,
  stateHash,
  toHex,
  type UID,
} from '../../../packages/client/src/protocol/internal.js';

const ONE_ITEM_HEX =
  '81a56974656d739182a46974656d84a4626f6479c4026869a863617465676f7279a3636174a56474696d6582a66f666673657400a474696d6500ab72656d696e6454696d6573c0a26d6485a56374696d65cf0000015d3ef79800a86465766963654944c0ad696e42616e644d73675479706501a56d73674944c41002020202020202020202020202020202a3756964c41001010101010101010101010101010101';

function item(msgByte: number, ctime: number): ItemAndMetadata {
  return itemWithID(new Uint8Array(16).fill(msgByte), ctime);
}

function itemWithID(msgID: Uint8Array, ctime: number): ItemAndMetadata {
  return {
    md: {
      uid: new Uint8Array(16).fill(1) as UID,
      msgID: msgID as MsgID,
      ctime,
      deviceID: null,
      inBandMsgType: 1,
    },
    item: {
      category: 'cat',
      dtime: { time: 0, offset: 0 },
      remindTimes: [],
      body: new TextEncoder().encode('hi'),
    },
  };
}

describe('stateHash', () => {
  it('encodes the empty state as 81 a5 items 90 and hashes it to fef93df7…', () => {
    const state = makeState([]);
    assert.equal(toHex(encodeState(state)), '81a56974656d7390');
    assert.equal(
      toHex(stateHash(state)),
      'fef93df7461174ac900f63db8cc4df8571034a4e341ff18001d921bee0fe8839',
    );
  });

  it('reproduces the go-codec bytes and hash of the one-item vector', () => {
    const state = makeState([item(2, 1500000000000)]);
    assert.equal(toHex(encodeState(state)), ONE_ITEM_HEX);
    assert.equal(
      toHex(stateHash(state)),
      '68445a7b8447e7cf7fc0c79081ea7b9c62a61f7d613aed60cb781f16f09494c6',
    );
  });

  it('round-trips the vector through the tolerant decoder to the same bytes', () => {
    const decoded = decodeState(decodeMsgpack(Buffer.from(ONE_ITEM_HEX, 'hex')), 'state');
    assert.equal(toHex(encodeState(makeState(decoded.items))), ONE_ITEM_HEX);
  });

  it('sorts items by ctime then msgID, so insertion order does not change the hash', () => {
    const a = makeState([item(3, 10), item(1, 10), item(2, 5)]);
    const b = makeState([item(2, 5), item(3, 10), item(1, 10)]);
    assert.deepEqual(
      a.items.map((i) => i.md?.msgID[0]),
      [2, 1, 3],
    );
    assert.equal(toHex(stateHash(a)), toHex(stateHash(b)));
  });

  it("puts a msgID before a longer one it is a prefix of, as Go's bytes.Compare does", () => {
    // The one-item vector's bytes with its 16-byte msgID (c410 02…02) swapped for shorter ones:
    // `items` holds two elements (92), 0a0b (c402 0a0b) before 0a0b0c (c403 0a0b0c).
    const [head, tail] = ONE_ITEM_HEX.slice('81a56974656d7391'.length).split(
      `c410${'02'.repeat(16)}`,
    );
    const element = (msgIDHex: string): string =>
      `${head}c4${(msgIDHex.length / 2).toString(16).padStart(2, '0')}${msgIDHex}${tail}`;
    const expectedHex = `81a56974656d7392${element('0a0b')}${element('0a0b0c')}`;
    const expectedHash = createHash('sha256').update(Buffer.from(expectedHex, 'hex')).digest('hex');

    const long = itemWithID(Uint8Array.of(0x0a, 0x0b, 0x0c), 1500000000000);
    const short = itemWithID(Uint8Array.of(0x0a, 0x0b), 1500000000000);
    for (const items of [
      [long, short],
      [short, long],
    ]) {
      const state = makeState(items);
      assert.equal(toHex(encodeState(state)), expectedHex);
      assert.equal(toHex(stateHash(state)), expectedHash);
    }
  });

  it('writes integers at or above 2^32 as uint64 cf, never as a float', () => {
    assert.equal(toHex(encodeCanonical(2 ** 32)), 'cf0000000100000000');
    assert.equal(toHex(encodeCanonical(1500000000000)), 'cf0000015d3ef79800');
    assert.equal(toHex(encodeCanonical(-1500)), 'd1fa24');
    assert.equal(toHex(encodeCanonical(300)), 'cd012c');
  });
});
