// The pure parts of the high-level API: the gregord URL parser, the ID helpers, the item view and
// its body decoders, the body encodings, the messages behind the writes and the change feed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChangeFeed,
  categoryDismissalMessage,
  creationMessage,
  dismissalMessage,
  encodeBody,
  itemView,
  newId,
  parseDeviceId,
  parseGregorAddress,
  parseGregorUrl,
  parseMsgId,
  parseUid,
  replaceMessage,
  toHex,
} from '../../../packages/client/src/client/internal.js';
import { type Item, validateConsumeMessage } from '../../../packages/client/src/protocol/index.js';

const HEX = '0123456789abcdef0123456789abcdef';
const UID1 = parseUid(HEX);
const utf8 = new TextEncoder();

describe('parseGregorUrl', () => {
  it('parses the TCP forms, with and without scheme, TLS and IPv6', () => {
    assert.deepEqual(parseGregorUrl('gregor.example:9911'), {
      kind: 'tcp',
      host: 'gregor.example',
      port: 9911,
      tls: false,
    });
    assert.deepEqual(parseGregorUrl('fmprpc://10.0.0.1:9911'), {
      kind: 'tcp',
      host: '10.0.0.1',
      port: 9911,
      tls: false,
    });
    assert.deepEqual(parseGregorUrl('fmprpc+tls://g.example:443'), {
      kind: 'tcp',
      host: 'g.example',
      port: 443,
      tls: true,
    });
    assert.deepEqual(parseGregorUrl('fmprpc://[::1]:9911'), {
      kind: 'tcp',
      host: '::1',
      port: 9911,
      tls: false,
    });
  });

  it('parses ws:// and wss://, keeping a path and giving /rpc to a URL without one', () => {
    assert.deepEqual(parseGregorUrl('ws://127.0.0.1:9912/rpc'), {
      kind: 'websocket',
      url: 'ws://127.0.0.1:9912/rpc',
      tls: false,
    });
    assert.deepEqual(parseGregorUrl('wss://g.example'), {
      kind: 'websocket',
      url: 'wss://g.example/rpc',
      tls: true,
    });
    assert.deepEqual(parseGregorUrl('ws://g.example:8080/'), {
      kind: 'websocket',
      url: 'ws://g.example:8080/rpc',
      tls: false,
    });
    assert.equal(parseGregorUrl('wss://g.example/gregor/rpc?v=1').kind, 'websocket');
    assert.equal(
      (parseGregorUrl('wss://g.example/gregor/rpc?v=1') as { url: string }).url,
      'wss://g.example/gregor/rpc?v=1',
    );
  });

  it('refuses anything else with GREGOR_ERR_CONFIG_INVALID quoting the address', () => {
    const bad = [
      '',
      'nohost',
      'h:',
      ':9911',
      'h:70000',
      'fmprpc://h',
      'http://h:1',
      'tcp://h:1',
      'fmprpc+tls://h:1/path',
      'ws://',
      'ws://user:pw@h/rpc',
      'ws://h/rpc#x',
    ];
    for (const address of bad) {
      assert.throws(
        () => parseGregorUrl(address),
        (err: Error & { code?: string }) =>
          err.code === 'GREGOR_ERR_CONFIG_INVALID' && err.message.includes(JSON.stringify(address)),
        address,
      );
    }
  });

  it('is what parseGregorAddress uses, which refuses WebSocket URLs for a TCP connector', () => {
    assert.deepEqual(parseGregorAddress('fmprpc+tls://g:443'), {
      host: 'g',
      port: 443,
      isTls: true,
    });
    assert.throws(() => parseGregorAddress('ws://g/rpc'), { code: 'GREGOR_ERR_CONFIG_INVALID' });
  });
});

describe("the browser's connect", () => {
  it('refuses an fmprpc:// address with a message that says to use the WebSocket endpoint', async () => {
    const { connect: browserConnect } = await import(
      '../../../packages/client/src/client/browser.js'
    );
    await assert.rejects(browserConnect('fmprpc://127.0.0.1:9911', { uid: HEX, token: 't' }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /a browser cannot open TCP to 127\.0\.0\.1:9911: use gregord's WebSocket endpoint/,
    });
  });
});

describe('ID helpers', () => {
  it('newId gives 16 random bytes, different each time', () => {
    const a = newId();
    const b = newId();
    assert.equal(a.length, 16);
    assert.notDeepEqual(a, b);
  });

  it('parse 32 hex digits of either case, or 16 bytes (copied), into the branded types', () => {
    assert.equal(toHex(parseUid(HEX.toUpperCase())), HEX);
    assert.equal(toHex(parseMsgId(HEX)), HEX);
    assert.equal(toHex(parseDeviceId(HEX)), HEX);
    const bytes = new Uint8Array(16).fill(7);
    const parsed = parseMsgId(bytes);
    bytes[0] = 0;
    assert.equal(parsed[0], 7, 'a copy');
  });

  it('refuse other lengths and non-hex with GREGOR_ERR_INPUT_INVALID naming the kind', () => {
    for (const bad of ['', 'abc', `${HEX}00`, HEX.slice(2), `zz${HEX.slice(2)}`]) {
      assert.throws(() => parseUid(bad), /invalid UID/, bad);
    }
    assert.throws(() => parseMsgId(new Uint8Array(15)), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: 'invalid message ID: 15 bytes, expected 16',
    });
    assert.throws(() => parseDeviceId(42 as unknown as string), /invalid device ID/);
  });
});

describe('bodies', () => {
  it('a string is UTF-8, bytes stay as they are, other values are JSON', () => {
    assert.deepEqual(encodeBody('héllo'), utf8.encode('héllo'));
    const bytes = Uint8Array.from([0, 255, 1]);
    assert.equal(encodeBody(bytes), bytes);
    assert.equal(
      new TextDecoder().decode(encodeBody({ a: [1, true, null] })),
      '{"a":[1,true,null]}',
    );
    assert.equal(new TextDecoder().decode(encodeBody(42)), '42');
    assert.equal(new TextDecoder().decode(encodeBody(null)), 'null');
  });

  it('a value JSON cannot write is GREGOR_ERR_INPUT_INVALID', () => {
    assert.throws(() => encodeBody(undefined as never), { code: 'GREGOR_ERR_INPUT_INVALID' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => encodeBody(cyclic as never), { code: 'GREGOR_ERR_INPUT_INVALID' });
  });
});

describe('itemView', () => {
  const msgID = parseMsgId(HEX);
  const device = parseDeviceId('dd'.repeat(16));
  const entry = (item: Partial<Item>, deviceID: typeof device | null = null) => ({
    md: { uid: UID1, msgID, ctime: 1_000_000, deviceID, inBandMsgType: 1 },
    item: {
      category: 'inbox.mention',
      body: utf8.encode('{"from":"max"}'),
      dtime: { time: 0, offset: 0 },
      remindTimes: [],
      ...item,
    },
  });

  it('shows hex IDs, Dates and the body with text() and json()', () => {
    const view = itemView(entry({}, device))!;
    assert.equal(view.id, HEX);
    assert.equal(view.category, 'inbox.mention');
    assert.deepEqual(view.ctime, new Date(1_000_000));
    assert.equal(view.expireAt, undefined);
    assert.deepEqual(view.remindAt, []);
    assert.equal(view.deviceId, 'dd'.repeat(16));
    assert.equal(view.text(), '{"from":"max"}');
    assert.deepEqual(view.json(), { from: 'max' });
    assert.equal(itemView(entry({}))!.deviceId, undefined);
  });

  it('json() of a body that is not JSON throws GREGOR_ERR_INPUT_INVALID', () => {
    const view = itemView(entry({ body: utf8.encode('plain') }))!;
    assert.equal(view.text(), 'plain');
    assert.throws(() => view.json(), { code: 'GREGOR_ERR_INPUT_INVALID' });
  });

  it('takes an offset expiry and the reminder times from the creation when the state lacks them', () => {
    const creation: Item = {
      category: 'inbox.mention',
      body: utf8.encode('x'),
      dtime: { time: 0, offset: 5000 },
      remindTimes: [
        { time: 3_000_000, offset: 0 },
        { time: 0, offset: 1000 },
      ],
    };
    const view = itemView(entry({}), creation)!;
    assert.deepEqual(view.expireAt, new Date(1_005_000));
    assert.deepEqual(view.remindAt, [new Date(1_001_000), new Date(3_000_000)]);
    assert.equal(view.isExpiredAt(1_004_999), false);
    assert.equal(view.isExpiredAt(1_005_000), true);
    const absolute = itemView(entry({ dtime: { time: 2_000_000, offset: 0 } }), creation)!;
    assert.deepEqual(absolute.expireAt, new Date(2_000_000), "the state's absolute expiry wins");
  });
});

describe('the messages behind the writes', () => {
  it('create: a valid creation with a fresh ID, the body encoded, the times mapped', () => {
    const m = creationMessage(UID1, {
      category: 'c',
      body: { n: 1 },
      expireIn: 60_000,
      remindAt: [new Date(5000), 6000],
    });
    validateConsumeMessage(m);
    const su = m.ibm!.stateUpdate!;
    assert.equal(su.md.msgID.length, 16);
    assert.equal(su.md.ctime, 0, 'the server stamps the time');
    assert.equal(su.md.deviceID, null);
    assert.deepEqual(su.creation!.dtime, { time: 0, offset: 60_000 });
    assert.deepEqual(su.creation!.remindTimes, [
      { time: 5000, offset: 0 },
      { time: 6000, offset: 0 },
    ]);
    const at = creationMessage(UID1, {
      category: 'c',
      body: 'x',
      expireAt: new Date(9000),
      id: HEX,
      device: HEX,
    });
    assert.deepEqual(at.ibm!.stateUpdate!.creation!.dtime, { time: 9000, offset: 0 });
    assert.equal(toHex(at.ibm!.stateUpdate!.md.msgID), HEX);
    assert.equal(toHex(at.ibm!.stateUpdate!.md.deviceID!), HEX);
  });

  it('create refuses both expiries, a bad time, an empty category', () => {
    assert.throws(
      () => creationMessage(UID1, { category: 'c', body: 'x', expireAt: 1, expireIn: 1 }),
      /not both/,
    );
    assert.throws(
      () => creationMessage(UID1, { category: 'c', body: 'x', expireAt: new Date(Number.NaN) }),
      {
        code: 'GREGOR_ERR_INPUT_INVALID',
      },
    );
    assert.throws(() => creationMessage(UID1, { category: '', body: 'x' }), /category/);
  });

  it('dismiss by IDs, by category range with a skip list, and replace as one message', () => {
    const ids = [newId(), newId()];
    const d = dismissalMessage(UID1, ids.map(toHex));
    validateConsumeMessage(d);
    assert.deepEqual(d.ibm!.stateUpdate!.dismissal, { msgIDs: ids, ranges: [] });
    assert.throws(() => dismissalMessage(UID1, []), { code: 'GREGOR_ERR_INPUT_INVALID' });

    const r = categoryDismissalMessage(UID1, 'c', { before: 7000, except: [ids[0]!] });
    validateConsumeMessage(r);
    assert.deepEqual(r.ibm!.stateUpdate!.dismissal!.ranges, [
      { category: 'c', endTime: { time: 7000, offset: 0 }, skipMsgIDs: [ids[0]] },
    ]);
    const all = categoryDismissalMessage(UID1, 'c', {});
    assert.deepEqual(all.ibm!.stateUpdate!.dismissal!.ranges[0]!.endTime, { time: 0, offset: 0 });

    const rep = replaceMessage(UID1, 'badge', { body: '3' });
    validateConsumeMessage(rep);
    const su = rep.ibm!.stateUpdate!;
    assert.equal(su.creation!.category, 'badge');
    assert.deepEqual(su.dismissal, {
      msgIDs: [],
      ranges: [{ category: 'badge', endTime: { time: 0, offset: 0 }, skipMsgIDs: [su.md.msgID] }],
    });
  });
});

describe('ChangeFeed', () => {
  type C = { type: 'n'; n: number };

  it('delivers in order to each reader and ends after what it holds', async () => {
    const feed = new ChangeFeed<C>(10);
    const a = feed.iterate();
    const b = feed.iterate();
    feed.push({ type: 'n', n: 1 });
    feed.push({ type: 'n', n: 2 });
    feed.end();
    const read = async (it: AsyncIterableIterator<unknown>) => {
      const out: unknown[] = [];
      for await (const c of it) out.push(c);
      return out;
    };
    const expected = [
      { type: 'n', n: 1 },
      { type: 'n', n: 2 },
    ];
    assert.deepEqual(await read(a), expected);
    assert.deepEqual(await read(b), expected);
    assert.equal(feed.readerCount, 0);
  });

  it('a reader that falls behind gets one overflow with the count, then the newer changes', async () => {
    const feed = new ChangeFeed<C>(3);
    const it = feed.iterate();
    for (let n = 1; n <= 8; n++) feed.push({ type: 'n', n });
    // 1..3 fill the buffer; 4 finds it full: [overflow(3), 4]; 5 fills it again; 6 finds it
    // full: [overflow(5), 6]; 7; 8 finds it full: [overflow(7), 8].
    const got: unknown[] = [];
    for (let i = 0; i < 2; i++) got.push((await it.next()).value);
    assert.deepEqual(got, [
      { type: 'overflow', dropped: 7 },
      { type: 'n', n: 8 },
    ]);
    feed.push({ type: 'n', n: 9 });
    assert.deepEqual((await it.next()).value, { type: 'n', n: 9 });
    await it.return!();
    assert.equal(feed.readerCount, 0);
  });
});
