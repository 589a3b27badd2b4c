import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gregorError } from '../../../packages/client/src/errors.js';
import { decodeMsgpack, encodeCanonical } from '../../../packages/client/src/protocol/index.js';
import type { HandlerContext, RpcLimitsInput } from '../../../packages/client/src/rpc/index.js';
import { sessionWithPeer, settle } from './raw-peer.js';

const PING = 'gregor.1.incoming.ping';

function setup(limits: RpcLimitsInput = {}) {
  const under = sessionWithPeer(limits);
  under.session.handle(PING, () => 'pong');
  return under;
}

/** Status fields of an error response, as received. */
function statusOf(message: unknown): { code: number; desc: string; ourCode: string } {
  const [type, , error, result] = message as [number, number, Record<string, unknown>, unknown];
  assert.equal(type, 1);
  assert.equal(result, null);
  const fields = error.fields as { key: string; value: string }[];
  return { code: error.code as number, desc: error.desc as string, ourCode: fields[0]!.value };
}

describe('IncomingCalls', () => {
  it('answers the ping call with [1, seq, nil, "pong"] and a void handler with nil', async () => {
    const { session, peer } = setup();
    session.handle('a.void', () => undefined);
    peer.send([0, 1, PING, [{}]]);
    peer.send([0, 2, 'a.void', [{}]]);
    assert.deepEqual(await peer.waitFor(2), [
      [1, 1, null, 'pong'],
      [1, 2, null, null],
    ]);
    session.close();
  });

  it('answers an unknown method with Go-like text and keeps the session (case 68)', async () => {
    const { session, peer } = setup();
    peer.send([0, 5, 'gregor.1.incoming.nope', [{}]]);
    peer.send([0, 6, 'gregor.1.nothing.nope', [{}]]);
    peer.send([0, 7, PING, [{}]]);
    const [nope, noProtocol, ping] = await peer.waitFor(3);
    assert.deepEqual(statusOf(nope), {
      code: 218,
      desc: "method 'nope' not found in protocol 'gregor.1.incoming'",
      ourCode: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
    });
    assert.equal(statusOf(noProtocol).desc, 'protocol not found: gregor.1.nothing');
    assert.deepEqual(ping, [1, 7, null, 'pong']);
    session.close();
  });

  it('passes the first element of the args array, with the context, to the handler', async () => {
    const { session, peer } = setup();
    const seen: unknown[] = [];
    session.handle('a.echo', (arg: unknown, ctx: HandlerContext) => {
      seen.push([arg, ctx.method, ctx.seq, ctx.tags, ctx.session === session]);
      return arg;
    });
    peer.send([0, 1, 'a.echo', [{ x: 1 }, 'ignored'], { trace: 't' }]);
    peer.send([0, 2, 'a.echo', []]);
    await peer.waitFor(2);
    assert.deepEqual(seen, [
      [{ x: 1 }, 'a.echo', 1, { trace: 't' }, true],
      [null, 'a.echo', 2, undefined, true],
    ]);
    session.close();
  });

  it('answers a throwing handler with an error, logs it, and stays open', async () => {
    const { session, peer, logged } = setup();
    session.handle('a.throws', () => {
      throw new TypeError('cannot read properties of undefined (SELECT secret)');
    });
    session.handle('a.rejects', async () => {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'invalid consume call: missing body');
    });
    peer.send([0, 1, 'a.throws', [{}]]);
    peer.send([0, 2, 'a.rejects', [{}]]);
    peer.send([0, 3, PING, [{}]]);
    const [thrown, rejected, ping] = await peer.waitFor(3);
    assert.deepEqual(statusOf(thrown), {
      code: 218,
      desc: 'internal error',
      ourCode: 'GREGOR_ERR_INTERNAL',
    });
    assert.deepEqual(statusOf(rejected), {
      code: 218,
      desc: 'invalid consume call: missing body',
      ourCode: 'GREGOR_ERR_INPUT_INVALID',
    });
    assert.deepEqual(ping, [1, 3, null, 'pong']);
    assert.ok(
      logged.some(
        (l) => l.level === 'error' && (l.obj as { err: unknown }).err instanceof TypeError,
      ),
    );
    session.close();
  });

  it('answers a malformed call with GREGOR_ERR_PROTOCOL_BAD_MESSAGE and stays open', async () => {
    const { session, peer } = setup();
    peer.send([0, 9, 42, [{}]]);
    peer.send([0, 10, PING, [{}]]);
    const [bad, ping] = await peer.waitFor(2);
    assert.equal(statusOf(bad).ourCode, 'GREGOR_ERR_PROTOCOL_BAD_MESSAGE');
    assert.equal((bad as unknown[])[1], 9);
    assert.deepEqual(ping, [1, 10, null, 'pong']);
    session.close();
  });

  it('aborts the handler on a cancel from the peer and sends no response', async () => {
    const { session, peer } = setup();
    const reasons: unknown[] = [];
    session.handle('a.wait', (_arg, ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reasons.push((ctx.signal.reason as { code: string }).code);
          reject(ctx.signal.reason);
        });
      });
    });
    peer.send([0, 4, 'a.wait', [{}]]);
    await settle();
    assert.equal(session.runningCalls, 1);
    peer.send([3, 4, 'a.wait']);
    peer.send([3, 99, 'a.unknown']);
    peer.send([0, 5, PING, [{}]]);
    assert.deepEqual(await peer.waitFor(1), [[1, 5, null, 'pong']]);
    await settle();
    assert.deepEqual(reasons, ['GREGOR_ERR_ABORTED']);
    assert.equal(peer.received.length, 1);
    assert.equal(session.runningCalls, 0);
    session.close();
  });

  it('serves a notify without answering, and logs a failing or unknown one', async () => {
    const { session, peer, logged } = setup();
    const notes: unknown[] = [];
    session.handle('a.note', (arg) => {
      notes.push(arg);
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'nope');
    });
    peer.send([2, 'a.note', ['hello']]);
    peer.send([2, 'a.unknown', ['hello']]);
    peer.send([0, 1, PING, [{}]]);
    assert.deepEqual(await peer.waitFor(1), [[1, 1, null, 'pong']]);
    await settle();
    assert.deepEqual(notes, ['hello']);
    assert.equal(peer.received.length, 1);
    assert.equal(logged.filter((l) => l.level === 'debug').length, 2);
    session.close();
  });

  it('answers a gzip-compressed call with a gzip-compressed result (type 4, ctype 1)', async () => {
    const { session, peer } = setup();
    session.handle('a.echo', (arg) => ({ echoed: arg }));
    peer.send([4, 3, 1, 'a.echo', gzipSync(encodeCanonical([{ x: 'y' }]))]);
    const [response] = await peer.waitFor(1);
    const [type, seq, error, result] = response as [number, number, unknown, Uint8Array];
    assert.deepEqual([type, seq, error], [1, 3, null]);
    assert.ok(result instanceof Uint8Array);
    assert.deepEqual(decodeMsgpack(gunzipSync(result)), { echoed: { x: 'y' } });
    session.close();
  });

  it('serves a compressed call with ctype none as a plain call', async () => {
    const { session, peer } = setup();
    peer.send([4, 3, 0, PING, [{}]]);
    assert.deepEqual(await peer.waitFor(1), [[1, 3, null, 'pong']]);
    session.close();
  });

  it('answers unsupported, corrupt and oversized compressed args with an error', async () => {
    const { session, peer } = setup({ maxFrameBytes: 1000, maxWriteBufferBytes: 4096 });
    peer.send([4, 1, 2, PING, Uint8Array.of(1)]);
    peer.send([4, 2, 1, PING, Uint8Array.of(1, 2, 3)]);
    peer.send([4, 3, 1, PING, gzipSync(new Uint8Array(100_000))]);
    peer.send([4, 4, 1, PING, 'not bytes']);
    const codes = (await peer.waitFor(4))
      .sort((x, y) => (x as number[])[1]! - (y as number[])[1]!)
      .map((m) => statusOf(m).ourCode);
    assert.deepEqual(codes, [
      'GREGOR_ERR_INPUT_INVALID',
      'GREGOR_ERR_INPUT_INVALID',
      'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
      'GREGOR_ERR_INPUT_INVALID',
    ]);
    assert.equal(session.isClosed, false);
    session.close();
  });
});
