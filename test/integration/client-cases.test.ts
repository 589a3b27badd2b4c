// The client cases 41–48: a GregorClient against a real gregord (memory engine)
// over loopback TCP. Calls the client makes are recorded by the test's connector.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import {
  encodeSavedState,
  GregorClient,
  type GregorClientOptions,
  MemoryClientStorage,
  type SyncOutcome,
  storageKeys,
} from '../../packages/client/src/client/internal.js';
import { type InBandMessage, stateHash } from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { eventually } from '../helpers/eventually.js';
import {
  creation,
  dismissal,
  fakeTime,
  idsOf,
  mid,
  oob,
  retryEvery,
  type SpyConnector,
  spyConnector,
  T0,
  U1,
  watchStatus,
  ZERO,
} from '../unit/client/fixtures.js';
import { startGregordAt } from '../unit/client/gregord-fixture.js';
import { type Harness, startServer } from './helpers/test-server.js';

const MINUTE = 60_000;

function msgIDsOf(msgs: InBandMessage[]): number[] {
  return msgs.map((m) => m.stateUpdate?.md.msgID[0] ?? -1);
}

function argOf(spy: SpyConnector, short: string, index = -1): Record<string, unknown> {
  const call = spy.callsOf(short).at(index);
  assert.ok(call, `a ${short} call`);
  return call.arg as Record<string, unknown>;
}

describe('GregorClient cases against gregord', () => {
  let h: Harness;
  let spy: SpyConnector;
  const clients: GregorClient[] = [];

  function client(opts: Partial<GregorClientOptions> = {}): GregorClient {
    const c = new GregorClient({
      uid: U1,
      token: h.auth.allow(U1),
      connect: spy,
      reconnect: retryEvery(5),
      ...opts,
    });
    clients.push(c);
    return c;
  }

  async function serverHash(): Promise<Uint8Array> {
    return stateHash(await h.stateMachine.state(U1, null, null));
  }

  beforeEach(async () => {
    h = await startServer();
    spy = spyConnector(h.addresses.tcp!.port);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.close();
  });

  it('41: a first sync asks from ctime 0, consumes the 20 messages in order and never calls state', async () => {
    for (let i = 1; i <= 20; i++) {
      await h.stateMachine.consumeMessage(creation(U1, i, T0 + i * MINUTE));
    }
    const c = client();
    const syncs: SyncOutcome[] = [];
    c.on('sync', (o) => syncs.push(o));
    await c.start();
    assert.equal(spy.callsOf('sync').length, 1);
    assert.equal(argOf(spy, 'sync').ctime, 0);
    assert.equal(spy.callsOf('state').length, 0, 'the hashes matched: no fresh sync');
    assert.equal(syncs.length, 1);
    assert.equal(syncs[0]!.isFresh, false);
    assert.deepEqual(
      msgIDsOf(syncs[0]!.messages),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal((await c.stateMachineState(null, false)).items.length, 20);
    assert.deepEqual(await c.stateHash(), await serverHash());
  });

  it('42: an incremental sync sends LatestCTime and gets the boundary message again', async () => {
    const c = client();
    await c.start();
    const su = await h.superuser();
    for (let i = 1; i <= 3; i++) await su.call('consumeMessage', { m: creation(U1, i, T0 + i) });
    // m1…m3 arrive as broadcasts.
    const watch = await watchStatus(c);
    await eventually(async () => (await c.latestCTime()) === T0 + 3, { message: 'm3 applied' });
    // Drop the connection and hold the reconnect while m4…m6 are stored.
    spy.hold();
    spy.sessions.at(-1)!.close();
    await watch.until('disconnected');
    for (let i = 4; i <= 6; i++) await su.call('consumeMessage', { m: creation(U1, i, T0 + i) });
    const synced = new Promise<SyncOutcome>((resolve) => c.on('sync', resolve));
    spy.release();
    await watch.until('connected');
    watch.stop();
    assert.equal(argOf(spy, 'sync').ctime, T0 + 3);
    const outcome = await synced;
    assert.deepEqual(msgIDsOf(outcome.messages), [3, 4, 5, 6]);
    assert.equal(outcome.isFresh, false);
    assert.equal(spy.callsOf('state').length, 0);
    assert.deepEqual(await c.stateHash(), await serverHash());
  });

  it('43: a hash mismatch leads to state({time:0,offset:0}), Clear and InitState', async () => {
    // The client holds M9, which the server never stored, older than everything on the server.
    const local = new MemoryEngine();
    await local.consumeMessage(creation(U1, 9, T0 - 1000));
    const storage = new MemoryClientStorage();
    await storage.put(storageKeys(U1).state, encodeSavedState(await local.state(U1, null, null)));
    // In the server's past: `state` at "now" (the zero TimeOrOffset) hides items from the future.
    for (const i of [1, 2]) await h.stateMachine.consumeMessage(creation(U1, i, T0 - 100 + i));
    const c = client({ storage });
    assert.equal(await c.restore(), true);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [9]);
    const synced = new Promise<SyncOutcome>((resolve) => c.on('sync', resolve));
    await c.start();
    assert.equal(argOf(spy, 'sync').ctime, T0 - 1000);
    assert.equal(spy.callsOf('state').length, 1);
    assert.deepEqual(argOf(spy, 'state').timeOrOffset, ZERO);
    const outcome = await synced;
    assert.equal(outcome.isFresh, true);
    assert.deepEqual(msgIDsOf(outcome.messages), [1, 2], 'one creation per server item');
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [1, 2], 'M9 is gone');
    assert.deepEqual(await c.stateHash(), await serverHash());
  });

  it('44: save and restore keep the hash, the local dismissal, the outbox and LatestCTime', async () => {
    for (const i of [1, 2, 3])
      await h.stateMachine.consumeMessage(creation(U1, i, T0 + i * MINUTE));
    const storage = new MemoryClientStorage();
    const a = client({ storage });
    await a.start();
    await a.consumeLocalDismissal(mid(2));
    // Offline, so the write stays in the outbox.
    const watch = await watchStatus(a);
    spy.hold();
    spy.sessions.at(-1)!.close();
    await watch.until('reconnecting');
    watch.stop();
    await a.consumeMessage(creation(U1, 7));
    await a.save();
    const hash = await a.stateHash();

    const b = client({ storage });
    assert.equal(await b.restore(), true);
    assert.deepEqual(await b.stateHash(), hash);
    assert.deepEqual(
      b.localDismissals().map((id) => id[0]),
      [2],
    );
    assert.deepEqual(
      b.outbox().map((m) => m.ibm?.stateUpdate?.md.msgID[0]),
      [7],
    );
    assert.equal(await b.latestCTime(), T0 + 3 * MINUTE);
    spy.release();
  });

  it('45: an in-band write made offline is applied locally at once and sent exactly once later', async () => {
    // A port where nothing listens for now.
    const probe = await startGregordAt(0);
    await probe.close();
    const engine = new MemoryEngine({ clock: new ManualClock(T0) });
    const fake = FakeTimers.createClock(T0);
    spy.port = probe.port;
    const c = client({ ...fakeTime(fake), reconnect: retryEvery(1000), token: 'tok' });
    const watch = await watchStatus(c);
    const started = c.start();
    await watch.until('reconnecting');
    await c.consumeMessage(creation(U1, 1));
    assert.deepEqual(idsOf(await engine.state(U1, null, null)), []);
    assert.deepEqual(idsOf(await c.stateMachineState(ZERO, true)), [1]);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), []);
    assert.equal(spy.calls.length, 0, 'nothing sent');

    const g = await startGregordAt(probe.port, engine);
    try {
      g.auth.allow(U1, undefined, 'tok');
      await fake.tickAsync(10 * MINUTE);
      await started;
      assert.equal(spy.callsOf('consumeMessage').length, 1);
      assert.deepEqual(idsOf(await engine.state(U1, null, null)), [1]);
      assert.deepEqual(c.outbox(), []);
      await eventually(async () => idsOf(await c.stateMachineState(null, false)).length === 1, {
        message: 'the broadcast echo',
      });
      assert.deepEqual(idsOf(await c.stateMachineState(ZERO, true)), [1]);
      // Later passes find M1 in the state and send nothing more.
      await fake.tickAsync(2 * MINUTE);
      assert.equal((await c.drainOutbox()).sent, 0);
      assert.equal(spy.callsOf('consumeMessage').length, 1);
    } finally {
      watch.stop();
      await Promise.all(clients.splice(0).map((x) => x.close()));
      await g.close();
    }
  });

  it('46: an out-of-band message goes straight to the server, not through the outbox', async () => {
    const c = client();
    await assert.rejects(c.consumeMessage(oob(U1)), { code: 'GREGOR_ERR_CLOSED' }, 'offline');
    await c.start();
    const echoed = new Promise<string>((resolve) =>
      c.on('message', (m) => resolve(m.oobm?.system ?? '')),
    );
    await c.consumeMessage(oob(U1, 'sys'));
    assert.equal(spy.callsOf('consumeMessage').length, 1);
    assert.deepEqual(c.outbox(), []);
    assert.equal(await echoed, 'sys', 'the server relays it back to every connection');
    assert.deepEqual(idsOf(await h.stateMachine.state(U1, null, null)), []);
  });

  it('47: local dismissals filter the replay and go once the server dismisses the item', async () => {
    for (const i of [1, 2]) await h.stateMachine.consumeMessage(creation(U1, i, T0 + i));
    const c = client();
    await c.consumeLocalDismissal(mid(2));
    await c.start();
    assert.deepEqual(msgIDsOf(await c.inBandMessagesSince(0, false)), [1, 2]);
    assert.deepEqual(msgIDsOf(await c.inBandMessagesSince(0, true)), [1]);
    assert.deepEqual(idsOf(await c.stateMachineState(null, true)), [1]);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [1, 2]);
    const su = await h.superuser();
    await su.call('consumeMessage', { m: dismissal(U1, 3, [2]) });
    await eventually(() => c.localDismissals().length === 0, {
      message: 'the dismissal broadcast',
    });
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [1]);
  });

  it('48: a repeated broadcast is answered "ignored repeat message" and changes nothing', async () => {
    const c = client();
    const applied: number[] = [];
    c.on('message', (m) => applied.push(m.ibm?.stateUpdate?.md.msgID[0] ?? -1));
    await c.start();
    const su = await h.superuser();
    for (const n of [1, 2, 1]) await su.call('consumeMessage', { m: creation(U1, n) });
    await eventually(
      async () => {
        const values = (await h.server.metrics.deliveries.get()).values;
        return values.some((v) => v.labels.result === 'GREGOR_ERR_CLIENT_REPEAT_MESSAGE');
      },
      { message: 'the repeat answer' },
    );
    assert.deepEqual(applied, [1, 2]);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [1, 2]);
  });
});
