import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionWithPeer, settle } from './raw-peer.js';

const setup = sessionWithPeer;

describe('RpcSession limits', () => {
  it('runs at most maxConcurrentCalls handlers, pausing reading and resuming as they finish', async () => {
    const { session, peer } = setup({ maxConcurrentCalls: 2 });
    const release: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    session.handle('a.block', () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<string>((resolve) => {
        release.push(() => {
          running--;
          resolve('done');
        });
      });
    });
    for (let seq = 1; seq <= 5; seq++) peer.send([0, seq, 'a.block', [{}]]);
    await settle();
    assert.equal(session.runningCalls, 2);
    assert.equal(release.length, 2);
    while (peer.received.length < 5) {
      release.shift()?.();
      await settle();
    }
    assert.equal(maxRunning, 2);
    assert.deepEqual(
      peer.received.map((m) => (m as unknown[])[1]),
      [1, 2, 3, 4, 5],
    );
    session.close();
  });

  it('rejects calls past maxPendingCalls with GREGOR_ERR_RPC_TOO_MANY_PENDING', async () => {
    const { session, peer } = setup({ maxPendingCalls: 2 });
    const calls = [session.call('a.b', 1), session.call('a.b', 2)];
    await assert.rejects(session.call('a.b', 3), { code: 'GREGOR_ERR_RPC_TOO_MANY_PENDING' });
    await peer.waitFor(2);
    peer.send([1, 1, null, 'ok']);
    assert.equal(await calls[0], 'ok');
    const again = session.call('a.b', 4);
    session.close();
    await Promise.allSettled([calls[1], again]);
  });

  it('closes a slow reader whose unsent bytes pass maxWriteBufferBytes a turn later', async () => {
    const { session, peer, events } = setup({ maxFrameBytes: 1000, maxWriteBufferBytes: 2500 });
    peer.pause();
    const body = new Uint8Array(900);
    // A burst within one turn is not held against the peer yet...
    for (let i = 0; i < 3; i++) session.notify('a.b', body);
    assert.equal(session.isClosed, false);
    assert.ok(session.writeBufferBytes > 2500);
    // ...but what is still unsent once the turn is over is.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['error:GREGOR_ERR_OVERLOADED', 'close:GREGOR_ERR_OVERLOADED']);
  });

  it('closes a paused reader at the end of the turn in which its backlog passes the bound', async () => {
    const { session, peer, events } = setup({ maxFrameBytes: 1000, maxWriteBufferBytes: 2500 });
    peer.pause();
    const body = new Uint8Array(900);
    session.notify('a.b', body);
    session.notify('a.b', body);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.isClosed, false, 'a backlog within the bound is tolerated');
    session.notify('a.b', body);
    assert.equal(session.isClosed, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['error:GREGOR_ERR_OVERLOADED', 'close:GREGOR_ERR_OVERLOADED']);
  });

  it('does not close a reading peer after a burst larger than maxWriteBufferBytes', async () => {
    const { session, peer } = setup({ maxFrameBytes: 1000, maxWriteBufferBytes: 2500 });
    for (let i = 0; i < 20; i++) session.notify('a.b', new Uint8Array(900));
    await peer.waitFor(20);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.isClosed, false);
    session.close();
  });

  it('rejects a call larger than maxFrameBytes without sending it', async () => {
    const { session, peer } = setup({ maxFrameBytes: 100, maxWriteBufferBytes: 1000 });
    await assert.rejects(session.call('a.b', new Uint8Array(200)), {
      code: 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
    });
    await settle();
    assert.equal(peer.received.length, 0);
    assert.equal(session.pendingCalls, 0);
    session.close();
  });

  it('answers GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE when a result exceeds maxFrameBytes', async () => {
    const { session, peer } = setup({ maxFrameBytes: 100, maxWriteBufferBytes: 1000 });
    session.handle('a.big', () => new Uint8Array(200));
    peer.send([0, 1, 'a.big', [{}]]);
    const [response] = await peer.waitFor(1);
    const [, seq, error] = response as [number, number, { fields: { value: string }[] }];
    assert.equal(seq, 1);
    assert.equal(error.fields[0]?.value, 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE');
    assert.equal(session.isClosed, false);
    session.close();
  });
});
