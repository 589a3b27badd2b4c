// The client across connections: a server restart on the same port, a connection the server
// drops, the server's resync signal, two devices of one user, the policy giving up, a refused
// token, and the Node connectors (fmprpc URI, WebSocket). Real gregord on loopback throughout.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { WebSocket } from 'ws';
import {
  type ClientStatus,
  GregorClient,
  type GregorClientOptions,
  standardWebSocketConnector,
  tcpConnector,
  webSocketConnector,
} from '../../packages/client/src/client/index.js';
import { stateHash } from '../../packages/client/src/protocol/index.js';
import type { StandardWebSocketClass } from '../../packages/client/src/rpc/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import { eventually } from '../helpers/eventually.js';
import {
  creation,
  fakeTime,
  idsOf,
  retryEvery,
  spyConnector,
  T0,
  U1,
  watchStatus,
} from '../unit/client/fixtures.js';
import { type Gregord, startGregordAt } from '../unit/client/gregord-fixture.js';
import { startServer } from './helpers/test-server.js';

async function serverHash(sm: StateMachine): Promise<Uint8Array> {
  return stateHash(await sm.state(U1, null, null));
}

/** Resolves once the client's local state hash equals the server's. */
async function converged(c: GregorClient, sm: StateMachine): Promise<void> {
  await eventually(async () => Buffer.from(await c.stateHash()).equals(await serverHash(sm)), {
    message: 'the client to reach the server state hash',
  });
}

describe('GregorClient across connections', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function gregord(port = 0, sm?: StateMachine): Promise<Gregord> {
    const g = await startGregordAt(port, sm);
    g.auth.allow(U1, undefined, 'tok');
    return g;
  }

  function client(opts: Partial<GregorClientOptions> & Pick<GregorClientOptions, 'connect'>) {
    const c = new GregorClient({ uid: U1, token: 'tok', reconnect: retryEvery(10), ...opts });
    cleanups.push(() => c.close());
    return c;
  }

  it('reconnects after a server restart on the same port, syncs, sends its outbox and converges', async () => {
    const engine = new MemoryEngine({ clock: new ManualClock(T0) });
    let g = await gregord(0, engine);
    const spy = spyConnector(g.port);
    const c = client({ connect: spy });
    const seen: ClientStatus['type'][] = [];
    const watch = await watchStatus(c);
    const collecting = (async () => {
      for await (const s of c.status()) seen.push(s.type);
    })();
    await c.start();
    await engine.consumeMessage(creation(U1, 1, T0 - 10));
    await g.close();
    await watch.until('reconnecting');
    // While the server is away: a local write, and a message stored by someone else.
    await c.consumeMessage(creation(U1, 2));
    await engine.consumeMessage(creation(U1, 3, T0 - 5));
    g = await gregord(g.port, engine);
    cleanups.push(() => g.close());
    await watch.until('connected');
    watch.stop();
    // M2 was stamped by the server at T0, after M1 (T0-10) and M3 (T0-5).
    assert.deepEqual(idsOf(await engine.state(U1, null, null)), [1, 3, 2]);
    assert.equal(spy.callsOf('consumeMessage').length, 1, 'the outbox message, once');
    assert.equal(spy.callsOf('authenticateSessionToken').length >= 2, true, 'logged in again');
    await converged(c, engine);
    assert.deepEqual(c.outbox(), []);
    await c.close();
    await collecting;
    assert.deepEqual(seen.slice(0, 2), ['disconnected', 'connecting']);
    assert.ok(seen.includes('reconnecting'));
    assert.equal(seen.at(-1), 'closed');
  });

  it('reconnects after the server drops its connection, and catches up by sync', async () => {
    const h = await startServer();
    cleanups.push(() => h.close());
    const spy = spyConnector(h.addresses.tcp!.port);
    const c = client({ connect: spy, token: h.auth.allow(U1) });
    await c.start();
    const watch = await watchStatus(c);
    spy.hold();
    for (const member of h.server.hub.actorOf(U1)!.members()) member.close();
    const dropped = await watch.until('disconnected');
    assert.equal(dropped.type === 'disconnected' && dropped.error?.code, 'GREGOR_ERR_CLOSED');
    // Stored while the client is away, so no broadcast reaches it.
    await h.stateMachine.consumeMessage(creation(U1, 1, T0 - 1));
    spy.release();
    await watch.until('connected');
    watch.stop();
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [1]);
    assert.deepEqual(await c.stateHash(), await serverHash(h.stateMachine));
  });

  it('syncs at once when the server sends its resync signal', async () => {
    const h = await startServer();
    cleanups.push(() => h.close());
    const c = client({ connect: spyConnector(h.addresses.tcp!.port), token: h.auth.allow(U1) });
    await c.start();
    let resyncs = 0;
    c.on('resync', () => resyncs++);
    // A message the bus lost: stored, never broadcast to this instance's connections.
    await h.stateMachine.consumeMessage(creation(U1, 4, T0 - 1));
    h.server.hub.resyncAll();
    await converged(c, h.stateMachine);
    assert.equal(resyncs, 1);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [4]);
  });

  it('two devices of one user: a write of one reaches the other by broadcast, and both converge', async () => {
    const h = await startServer();
    cleanups.push(() => h.close());
    const token = h.auth.allow(U1);
    const a = client({ connect: spyConnector(h.addresses.tcp!.port), token });
    const b = client({ connect: spyConnector(h.addresses.tcp!.port), token });
    await Promise.all([a.start(), b.start()]);
    const arrived = new Promise<number>((resolve) =>
      b.on('message', (m) => resolve(m.ibm?.stateUpdate?.md.msgID[0] ?? -1)),
    );
    await a.consumeMessage(creation(U1, 5));
    assert.equal(await arrived, 5);
    await converged(a, h.stateMachine);
    await converged(b, h.stateMachine);
    assert.deepEqual(await a.stateHash(), await b.stateHash());
    assert.deepEqual(idsOf(await b.stateMachineState(null, false)), [5]);
  });

  it('closes with the last error once a bounded policy has no attempts left', async () => {
    const probe = await startGregordAt(0);
    await probe.close();
    const fake = FakeTimers.createClock(T0);
    const c = client({ connect: spyConnector(probe.port), reconnect: 2, ...fakeTime(fake) });
    const seen: ClientStatus[] = [];
    const collecting = (async () => {
      for await (const s of c.status()) seen.push(s);
    })();
    const started = c.start();
    for (let attempt = 1; attempt <= 2; attempt++) {
      await eventually(() => seen.filter((s) => s.type === 'reconnecting').length === attempt, {
        message: 'a retry',
      });
      await fake.tickAsync(60_000);
    }
    await assert.rejects(started, { code: 'GREGOR_ERR_CLOSED' });
    const error = await c.closed();
    assert.equal(error?.code, 'GREGOR_ERR_CLOSED');
    assert.match(error?.message ?? '', /cannot connect/);
    await collecting;
    assert.deepEqual(
      seen.map((s) => s.type),
      [
        'disconnected',
        'connecting',
        'reconnecting',
        'connecting',
        'reconnecting',
        'connecting',
        'closed',
      ],
    );
    assert.equal(c.state, 'closed');
    await assert.rejects(c.consumeMessage(creation(U1, 1)), { code: 'GREGOR_ERR_CLOSED' });
  });

  it('gives up at once when the server refuses the token', async () => {
    const g = await gregord();
    cleanups.push(() => g.close());
    const c = client({ connect: spyConnector(g.port), token: 'refused', reconnect: undefined });
    await assert.rejects(c.start(), { code: 'GREGOR_ERR_AUTH_FAILED' });
    assert.equal((await c.closed())?.code, 'GREGOR_ERR_AUTH_FAILED');
  });

  it('connects with tcpConnector (fmprpc://), webSocketConnector and the browser connector', async () => {
    const h = await startServer({ http: true });
    cleanups.push(() => h.close());
    const token = h.auth.allow(U1);
    const { tcp, http } = h.addresses;
    const url = `ws://127.0.0.1:${http!.port}/rpc`;
    const overTcp = client({ connect: tcpConnector(`fmprpc://127.0.0.1:${tcp!.port}`), token });
    const overWs = client({ connect: webSocketConnector(url), token });
    // The browser's connector, driven through ws's implementation of the standard WebSocket API.
    const StandardWebSocket = WebSocket as unknown as StandardWebSocketClass;
    const overBrowserApi = client({
      connect: standardWebSocketConnector(url, { WebSocket: StandardWebSocket }),
      token,
    });
    await Promise.all([overTcp.start(), overWs.start(), overBrowserApi.start()]);
    const arrivals = [overWs, overBrowserApi].map(
      (c) => new Promise<void>((resolve) => c.on('message', () => resolve())),
    );
    await overTcp.consumeMessage(creation(U1, 6));
    await Promise.all(arrivals);
    assert.deepEqual(idsOf(await overWs.stateMachineState(null, false)), [6]);
    assert.deepEqual(idsOf(await overBrowserApi.stateMachineState(null, false)), [6]);
    // A write from the browser connector reaches the TCP device through the server.
    const echoed = new Promise<void>((resolve) =>
      overTcp.on('message', (m) => {
        if (m.ibm?.stateUpdate?.md.msgID[0] === 7) resolve();
      }),
    );
    await overBrowserApi.consumeMessage(creation(U1, 7));
    await echoed;
    assert.deepEqual(idsOf(await overTcp.stateMachineState(null, false)), [6, 7]);
  });
});
