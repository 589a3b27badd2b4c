import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { type GregorError, gregorError, InputError } from '../../../packages/client/src/errors.js';
import { encodeCanonical } from '../../../packages/client/src/protocol/index.js';
import {
  createTransportPair,
  RpcSession,
  toStatus,
} from '../../../packages/client/src/rpc/index.js';
import { sessionWithPeer, settle } from './raw-peer.js';

const PING = 'gregor.1.incoming.ping';

const setup = sessionWithPeer;

describe('RpcSession calls', () => {
  it('sends [0, seq, method, [arg]] numbered from 1 and resolves each call by its seqno (case 70)', async () => {
    const { session, peer } = setup();
    const first = session.call('a.first', { n: 1 });
    const second = session.call('a.second', { n: 2 });
    assert.deepEqual(await peer.waitFor(2), [
      [0, 1, 'a.first', [{ n: 1 }]],
      [0, 2, 'a.second', [{ n: 2 }]],
    ]);
    const order: string[] = [];
    const tracked = [first, second].map((p) => p.then((r) => order.push(String(r))));
    peer.send([1, 2, null, 'two']);
    peer.send([1, 1, null, 'one']);
    await Promise.all(tracked);
    assert.deepEqual(order, ['two', 'one']);
    session.close();
  });

  it('rejects with the typed error the peer answered with', async () => {
    const { session, peer } = setup();
    const call = session.call('a.b', {});
    await peer.waitFor(1);
    peer.send([1, 1, toStatus(gregorError('GREGOR_ERR_INPUT_INVALID', 'bad arg')), null]);
    await assert.rejects(
      call,
      (err: GregorError) => err instanceof InputError && err.message === 'bad arg',
    );
    peer.send([1, 7, null, 'late answer to nothing']);
    await settle();
    assert.equal(session.isClosed, false);
    session.close();
  });

  it('callPreEncoded splices the same args bytes into every session', async () => {
    const args = encodeCanonical([{ m: { body: Uint8Array.of(1, 2) } }]);
    const pairs = [setup(), setup()];
    const calls = pairs.map(({ session }) =>
      session.callPreEncoded('gregor.1.outgoing.broadcastMessage', args),
    );
    for (const { peer } of pairs) {
      const [msg] = await peer.waitFor(1);
      assert.deepEqual(msg, [
        0,
        1,
        'gregor.1.outgoing.broadcastMessage',
        [{ m: { body: Uint8Array.of(1, 2) } }],
      ]);
      peer.send([1, 1, null, null]);
    }
    assert.deepEqual(await Promise.all(calls), [null, null]);
    for (const { session } of pairs) session.close();
  });

  it('sends a notify as [2, method, [arg]]', async () => {
    const { session, peer } = setup();
    session.notify('a.note', 'x');
    assert.deepEqual(await peer.waitFor(1), [[2, 'a.note', ['x']]]);
    session.close();
  });

  it('rejects an argument it cannot encode without sending anything', async () => {
    const { session, peer } = setup();
    await assert.rejects(
      session.call('a.b', () => 1),
      { code: 'GREGOR_ERR_INPUT_INVALID' },
    );
    await settle();
    assert.equal(peer.received.length, 0);
    session.close();
  });
});

describe('RpcSession timeouts and cancellation', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.uninstall());

  it('times a call out after callTimeoutMs and cancels it on the peer with [3, seq, method]', async () => {
    const { session, peer } = setup({ callTimeoutMs: 1000 });
    const call = session.call('a.slow', {});
    const quick = session.call('a.quick', {}, { timeoutMs: 10 });
    await peer.waitFor(2);
    clock.tick(10);
    await assert.rejects(quick, { code: 'GREGOR_ERR_TIMEOUT' });
    clock.tick(990);
    await assert.rejects(call, { code: 'GREGOR_ERR_TIMEOUT' });
    assert.deepEqual((await peer.waitFor(4)).slice(2), [
      [3, 2, 'a.quick'],
      [3, 1, 'a.slow'],
    ]);
    assert.equal(session.pendingCalls, 0);
    session.close();
  });

  it('aborting a call rejects it with GREGOR_ERR_ABORTED and cancels it on the peer', async () => {
    const { session, peer } = setup();
    const controller = new AbortController();
    const call = session.call('a.b', {}, { signal: controller.signal });
    await peer.waitFor(1);
    controller.abort();
    await assert.rejects(call, { code: 'GREGOR_ERR_ABORTED' });
    assert.deepEqual((await peer.waitFor(2))[1], [3, 1, 'a.b']);
    session.close();
    assert.equal(clock.countTimers(), 0);
  });
});

describe('RpcSession close', () => {
  it('close() rejects pending calls with GREGOR_ERR_CLOSED, aborts handlers and emits close once', async () => {
    const { session, peer, events } = setup();
    let handlerSignal: AbortSignal | undefined;
    session.handle('a.wait', (_arg, ctx) => {
      handlerSignal = ctx.signal;
      return new Promise(() => {});
    });
    const pending = session.call('a.b', {});
    peer.send([0, 1, 'a.wait', [{}]]);
    await peer.waitFor(1);
    await settle();
    const closed = session.closed();
    session.close();
    session.close();
    await assert.rejects(pending, { code: 'GREGOR_ERR_CLOSED' });
    assert.equal(handlerSignal?.aborted, true);
    assert.equal((handlerSignal!.reason as GregorError).code, 'GREGOR_ERR_CLOSED');
    assert.equal(await closed, undefined);
    assert.deepEqual(events, ['close:clean']);
    await assert.rejects(session.call('a.b', {}), { code: 'GREGOR_ERR_CLOSED' });
    assert.throws(() => session.notify('a.b', {}), { code: 'GREGOR_ERR_CLOSED' });
    await peer.waitClosed();
  });

  it('close(err) passes the reason to close listeners and as the cause of rejected calls', async () => {
    const { session, events } = setup();
    const pending = session.call('a.b', {});
    session.close(gregorError('GREGOR_ERR_AUTH_FAILED', 'revoked'));
    await assert.rejects(
      pending,
      (err: GregorError) => (err.cause as GregorError).code === 'GREGOR_ERR_AUTH_FAILED',
    );
    assert.deepEqual(events, ['close:GREGOR_ERR_AUTH_FAILED']);
  });

  it('closes cleanly when the peer closes', async () => {
    const [a, b] = createTransportPair();
    const session = new RpcSession(a);
    const pending = session.call('a.b', {});
    b.attach({ onTransportData() {}, onTransportClose() {} });
    b.close();
    assert.equal(await session.closed(), undefined);
    await assert.rejects(pending, { code: 'GREGOR_ERR_CLOSED' });
  });

  for (const [hex, code, why] of [
    ['00', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'a zero frame length'],
    ['ce7fffffff', 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE', 'an oversized frame length'],
    ['0291c1', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'an undecodable payload'],
    ['039101c0', 'GREGOR_ERR_PROTOCOL_BAD_FRAME', 'trailing bytes after the message'],
    ['0493010102', 'GREGOR_ERR_PROTOCOL_BAD_MESSAGE', 'a response of 3 elements'],
    ['0392077b', 'GREGOR_ERR_PROTOCOL_BAD_MESSAGE', 'an unknown message type'],
  ] as const) {
    it(`closes on ${why}: 'error' once with ${code}, then 'close'`, async () => {
      const { session, peer, events } = setup();
      const pending = session.call('a.b', {});
      peer.sendHex(hex);
      await assert.rejects(pending, { code: 'GREGOR_ERR_CLOSED' });
      assert.deepEqual(events, [`error:${code}`, `close:${code}`]);
      await peer.waitClosed();
    });
  }

  it('answers a ping while another connection is being closed for a bad frame', async () => {
    const good = setup();
    const bad = setup();
    good.session.handle(PING, () => 'pong');
    bad.peer.sendHex('00');
    good.peer.send([0, 1, PING, [{}]]);
    assert.deepEqual(await good.peer.waitFor(1), [[1, 1, null, 'pong']]);
    await bad.peer.waitClosed();
    good.session.close();
  });
});
