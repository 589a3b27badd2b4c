// Two gregord instances on one store and one bus. A user writes through instance A and then,
// without waiting for the echo, dismisses that item through instance B; A's publication reaches B
// late, so a device on B gets the dismissal before the creation it names (docs/scale-out.md
// "Order"). The device sees an older server ctime arrive after a newer one, syncs, and ends with
// the server's state instead of keeping the dismissed item.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { GregorClient } from '../../packages/client/src/client/index.js';
import { stateHash } from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { type Bus, InProcessBroker, InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { eventually } from '../helpers/eventually.js';
import {
  creation,
  dismissal,
  idsOf,
  retryEvery,
  spyConnector,
  T0,
  U1,
} from '../unit/client/fixtures.js';
import { TestAuthenticator } from './helpers/test-authenticator.js';
import { type Harness, startServer } from './helpers/test-server.js';

/** `inner`, holding back every publication until `release()`: a slow path through Redis. */
function heldBack(inner: Bus): { bus: Bus; release: () => Promise<void> } {
  const held: [Uint8Array, Uint8Array][] = [];
  const bus = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'publish') {
        return (uid: Uint8Array, payload: Uint8Array) => {
          held.push([uid, payload]);
          return Promise.resolve();
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    bus,
    release: async () => {
      for (const [uid, payload] of held.splice(0)) await inner.publish(uid, payload);
    },
  };
}

describe('a device on one instance, writes through two', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('resyncs when a creation arrives after a newer dismissal of it, and converges', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryEngine({ clock });
    const broker = new InProcessBroker();
    const auth = new TestAuthenticator();
    const slow = heldBack(new InProcessBus({ broker }));
    const busB = new InProcessBus({ broker });
    cleanups.push(async () => {
      await slow.bus.close();
      await busB.close();
      await store.close();
    });
    const start = async (bus: Bus): Promise<Harness> => {
      const h = await startServer({ stateMachine: store, bus, authenticator: auth });
      cleanups.push(() => h.close());
      return h;
    };
    const a = await start(slow.bus);
    const b = await start(busB);

    const device = new GregorClient({
      uid: U1,
      token: auth.allow(U1),
      connect: spyConnector(b.addresses.tcp!.port),
      reconnect: retryEvery(10),
    });
    cleanups.push(() => device.close());
    await device.start();
    let syncs = 0;
    device.on('sync', () => syncs++);

    const writerOnA = await a.user(U1);
    await writerOnA.call('consumeMessage', { m: creation(U1, 1) });
    clock.advance(1000);
    const writerOnB = await b.user(U1);
    await writerOnB.call('consumeMessage', { m: dismissal(U1, 2, [1]) });
    assert.deepEqual(idsOf(await store.state(U1, null, null)), [], 'the server has it dismissed');

    await slow.release();
    await eventually(async () => syncs > 0, {
      message: 'the device to sync after the out-of-order creation',
    });
    await eventually(
      async () =>
        Buffer.from(await device.stateHash()).equals(stateHash(await store.state(U1, null, null))),
      { message: 'the device to reach the server state hash' },
    );
    assert.deepEqual(idsOf(await device.stateMachineState(null, false)), []);
  });
});
