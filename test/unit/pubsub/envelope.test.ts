import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeEnvelope,
  decodeUidList,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_KIND,
  encodeEnvelope,
  encodeUidList,
  newInstanceId,
  sameBytes,
} from '../../../packages/server/src/pubsub/envelope.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ORIGIN = hex('000102030405060708090a0b0c0d0e0f');

describe('envelope', () => {
  it('writes version, kind, origin, request id and body in that order', () => {
    const bytes = encodeEnvelope(ENVELOPE_KIND.gatherAnswer, ORIGIN, hex('cafe'), 0x01020304);
    assert.equal(
      bytes.toString('hex'),
      '01 03 000102030405060708090a0b0c0d0e0f 01020304 cafe'.replace(/ /g, ''),
    );
  });

  it('writes request id 0 for a message', () => {
    const bytes = encodeEnvelope(ENVELOPE_KIND.message, ORIGIN, hex('ff'));
    assert.equal(bytes.toString('hex'), `0101${ORIGIN.toString('hex')}00000000ff`);
  });

  it('reads back what it wrote, for every kind and an empty body', () => {
    for (const kind of Object.values(ENVELOPE_KIND)) {
      const env = decodeEnvelope(encodeEnvelope(kind, ORIGIN, new Uint8Array(0), 0xffffffff));
      assert.ok(env);
      assert.equal(env.kind, kind);
      assert.ok(sameBytes(env.origin, ORIGIN));
      assert.equal(env.requestId, 0xffffffff);
      assert.equal(env.body.length, 0);
    }
  });

  it('decodes from a view with a non-zero offset without copying the body', () => {
    const framed = Buffer.concat([
      hex('eeee'),
      encodeEnvelope(ENVELOPE_KIND.message, ORIGIN, hex('abcd')),
    ]);
    const view = new Uint8Array(framed.buffer, framed.byteOffset + 2, framed.length - 2);
    const env = decodeEnvelope(view);
    assert.ok(env);
    assert.equal(Buffer.from(env.body).toString('hex'), 'abcd');
    assert.equal(env.body.buffer, framed.buffer);
  });

  it('returns undefined for bytes it did not write', () => {
    const good = encodeEnvelope(ENVELOPE_KIND.message, ORIGIN, hex('ff'));
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      'one byte short of a header': good.subarray(0, ENVELOPE_HEADER_BYTES - 1),
      'version 2': Buffer.concat([hex('02'), good.subarray(1)]),
      'kind 0': Buffer.concat([hex('0100'), good.subarray(2)]),
      'kind 7': Buffer.concat([hex('0107'), good.subarray(2)]),
      'plain text': Buffer.from('hello, this is not an envelope'),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      assert.equal(decodeEnvelope(bytes), undefined, name);
    }
  });

  it('makes 16-byte random instance ids', () => {
    const a = newInstanceId();
    const b = newInstanceId();
    assert.equal(a.length, 16);
    assert.equal(sameBytes(a, b), false);
  });
});

describe('uid lists (the body of a resync request)', () => {
  it('round-trips uids of any allowed length', () => {
    const uids = [Uint8Array.of(1), new Uint8Array(16).fill(7), new Uint8Array(64).fill(9)];
    assert.deepEqual(
      decodeUidList(encodeUidList(uids))?.map((uid) => [...uid]),
      uids.map((uid) => [...uid]),
    );
  });

  it('reads an empty or broken list as every user', () => {
    assert.equal(decodeUidList(new Uint8Array(0)), undefined);
    assert.equal(decodeUidList(Uint8Array.of(5, 1, 2)), undefined);
    assert.equal(decodeUidList(Uint8Array.of(0)), undefined);
  });
});
