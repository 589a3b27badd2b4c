import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSavedLocal,
  decodeSavedState,
  encodeSavedLocal,
  encodeSavedState,
  MemoryClientStorage,
  storageKeys,
} from '../../../packages/client/src/client/internal.js';
import {
  encodeRecord,
  fromHex,
  type MsgID,
  makeState,
  toHex,
} from '../../../packages/client/src/protocol/internal.js';
import { creation, mid, U1 } from './fixtures.js';

// The one-item state hash vector (docs/data-model.md, "The state hash"): uid 16×01, msgID 16×02,
// ctime 1500000000000, "cat", "hi".
const ONE_ITEM_HEX =
  '81a56974656d739182a46974656d84a4626f6479c4026869a863617465676f7279a3636174a56474696d6582a66f666673657400a474696d6500ab72656d696e6454696d6573c0a26d6485a56374696d65cf0000015d3ef79800a86465766963654944c0ad696e42616e644d73675479706501a56d73674944c41002020202020202020202020202020202a3756964c41001010101010101010101010101010101';

const utf8 = new TextEncoder();

describe('persistence (the saved form)', () => {
  it('names the two keys after the uid, as Keybase does', () => {
    assert.deepEqual(storageKeys(U1), {
      state: `gregor/${toHex(U1)}`,
      local: `gregor/_ld${toHex(U1)}`,
    });
  });

  it('saves the state as its canonical msgpack, the bytes the state hash is taken over', () => {
    const state = makeState([
      {
        md: { uid: U1, msgID: mid(2), ctime: 1_500_000_000_000, deviceID: null, inBandMsgType: 1 },
        item: {
          category: 'cat',
          dtime: { time: 0, offset: 0 },
          remindTimes: [],
          body: utf8.encode('hi'),
        },
      },
    ]);
    const bytes = encodeSavedState(state);
    assert.equal(toHex(bytes), ONE_ITEM_HEX);
    assert.deepEqual(decodeSavedState(bytes), state);
    assert.deepEqual(decodeSavedState(fromHex('81a56974656d7390')), { items: [] });
  });

  it('saves local dismissals and outbox as JSON {d, o} of base64, and reads them back', () => {
    const m = creation(U1, 7);
    const bytes = encodeSavedLocal({ localDismissals: [mid(2)], outbox: [m] });
    const json = JSON.parse(new TextDecoder().decode(bytes));
    assert.deepEqual(json, {
      d: [Buffer.from(mid(2)).toString('base64')],
      o: [Buffer.from(encodeRecord(m)).toString('base64')],
    });
    const back = decodeSavedLocal(bytes);
    assert.deepEqual(back.localDismissals, [mid(2)]);
    assert.equal(toHex(encodeRecord(back.outbox[0])), toHex(encodeRecord(m)));
  });

  it('reads Go’s null for an empty list', () => {
    const back = decodeSavedLocal(utf8.encode('{"d":null,"o":null}'));
    assert.deepEqual(back, { localDismissals: [] as MsgID[], outbox: [] });
  });

  it('rejects damaged saved bytes with GREGOR_ERR_INPUT_INVALID', () => {
    const bad = ['not json', '{"d":{}}', '{"d":[42]}', '{"d":["%%%"]}', '{"o":["AAEC"]}'];
    for (const text of bad) {
      assert.throws(
        () => decodeSavedLocal(utf8.encode(text)),
        {
          code: 'GREGOR_ERR_INPUT_INVALID',
        },
        text,
      );
    }
    assert.throws(() => decodeSavedState(fromHex('c1')), { code: 'GREGOR_ERR_INPUT_INVALID' });
    assert.throws(() => decodeSavedState(fromHex('81a56974656d7301')), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
  });
});

describe('MemoryClientStorage', () => {
  it('keeps copies: changing a buffer after put or after get changes nothing stored', async () => {
    const storage = new MemoryClientStorage();
    assert.equal(await storage.get('k'), undefined);
    const bytes = Uint8Array.of(1, 2, 3);
    await storage.put('k', bytes);
    bytes[0] = 9;
    const read = await storage.get('k');
    assert.deepEqual(read, Uint8Array.of(1, 2, 3));
    read![1] = 9;
    assert.deepEqual(await storage.get('k'), Uint8Array.of(1, 2, 3));
    assert.deepEqual(storage.keys(), ['k']);
  });
});
