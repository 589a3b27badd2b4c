// Several gregord instances on one shared store and a shared bus (in-process broker): a message
// consumed on one instance reaches the user's connections on the others, in order, without being
// stored again; describeConnectedUsers sees the whole cluster; a bus resync tells every local
// connection to sync (`gregor.resync`, docs/protocol.md).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { RESYNC_SYSTEM, toHex, type UID } from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import {
  type Bus,
  InProcessBroker,
  InProcessBus,
  type ResyncHandler,
} from '../../packages/server/src/pubsub/index.js';
import { withOverrides } from './helpers/engine-faults.js';
import { TestAuthenticator } from './helpers/test-authenticator.js';
import { creation, type Harness, id, oob, startServer, T0, U1, U2 } from './helpers/test-server.js';

/** A real bus whose resync can be triggered, as a Redis bus does after a reconnect. */
function resyncable(inner: Bus): { bus: Bus; resync: () => void } {
  const handlers = new Set<ResyncHandler>();
  const bus = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'onResync') {
        return (handler: ResyncHandler) => {
          handlers.add(handler);
          return () => handlers.delete(handler);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    bus,
    resync: () => {
      for (const handler of handlers) handler();
    },
  };
}

describe('gregord cluster (shared store, shared bus)', () => {
  const harnesses: Harness[] = [];
  const buses: Bus[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
    for (const b of buses.splice(0)) await b.close();
  });

  async function cluster(n: number): Promise<{ nodes: Harness[]; consumes: number[] }> {
    const broker = new InProcessBroker();
    const store = new MemoryEngine({ clock: new ManualClock(T0) });
    const auth = new TestAuthenticator();
    const consumes: number[] = [];
    const nodes: Harness[] = [];
    for (let i = 0; i < n; i++) {
      consumes.push(0);
      const counting: StateMachine = withOverrides(store, {
        consume: (real, m, opts) => {
          consumes[i]!++;
          return real(m, opts);
        },
      });
      const bus = new InProcessBus({ broker });
      buses.push(bus);
      const h = await startServer({ stateMachine: counting, bus, authenticator: auth });
      harnesses.push(h);
      nodes.push(h);
    }
    return { nodes, consumes };
  }

  it('delivers a message consumed on one instance to the user on every instance, in order, stored once', async () => {
    const { nodes, consumes } = await cluster(2);
    const [a, b] = nodes as [Harness, Harness];
    const onA = await a.user(U1);
    const onB = await b.user(U1);
    const otherUser = await b.user(U2);
    for (let i = 1; i <= 30; i++) {
      await onA.call('consumeMessage', { m: i % 3 === 0 ? oob(U1, `o${i}`) : creation(U1, i) });
    }
    const expected = Array.from({ length: 30 }, (_, k) =>
      (k + 1) % 3 === 0 ? `o${k + 1}` : toHex(id(k + 1)),
    );
    for (const c of [onA, onB]) {
      await c.waitForBroadcasts(30);
      assert.deepEqual(
        c.received.map((m) => m.oobm?.system ?? toHex(m.ibm!.stateUpdate!.md.msgID)),
        expected,
      );
    }
    assert.equal(onB.received[0]!.ibm!.stateUpdate!.md.ctime, T0, 'the stamped ctime travels');
    assert.deepEqual(consumes, [20, 0], 'stored by the consuming instance only');
    assert.deepEqual(otherUser.received, []);
  });

  it('describeConnectedUsers sees every instance; the Internal variant only its own', async () => {
    const { nodes } = await cluster(3);
    const [a, b, c] = nodes as [Harness, Harness, Harness];
    await a.user(U1);
    await b.user(U1);
    await b.user(U1);
    await c.user(U2);
    const su = await a.superuser();
    const all = await su.call('describeConnectedUsers', { uids: [U1, U2, id<UID>(9)] });
    const byUser = new Map(all.map((u) => [toHex(u.uid), u.devices.length]));
    assert.deepEqual(
      Object.fromEntries(byUser),
      { [toHex(U1)]: 3, [toHex(U2)]: 1 },
      'users without connections are left out',
    );
    const local = await su.call('describeConnectedUsersInternal', { uids: [U1, U2] });
    assert.deepEqual(
      local.map((u) => [toHex(u.uid), u.devices.length]),
      [[toHex(U1), 1]],
    );
    const u1 = await a.user(U1);
    await assert.rejects(u1.call('describeConnectedUsers', { uids: [U1] }), /mismatched UIDs/);
  });

  it('a bus resync sends every local connection an out-of-band gregor.resync for its own uid', async () => {
    const inner = new InProcessBus();
    buses.push(inner);
    const { bus, resync } = resyncable(inner);
    const h = await startServer({ bus });
    harnesses.push(h);
    const a = await h.user(U1);
    const b = await h.user(U1);
    const c = await h.user(U2);
    resync();
    for (const [client, uid] of [
      [a, U1],
      [b, U1],
      [c, U2],
    ] as const) {
      const [m] = await client.waitForBroadcasts(1);
      assert.equal(m!.oobm!.system, RESYNC_SYSTEM);
      assert.deepEqual(m!.oobm!.uid, uid);
    }
  });

  it('consumeMessageMulti stores a copy per uid and broadcasts each to its user (superuser only)', async () => {
    const h = await startServer();
    harnesses.push(h);
    const u1 = await h.user(U1);
    const u2 = await h.user(U2);
    const su = await h.superuser();
    await su.call('consumeMessageMulti', {
      msg: creation(new Uint8Array(0) as UID, 7),
      uids: [U1, U2],
    });
    for (const [client, uid] of [
      [u1, U1],
      [u2, U2],
    ] as const) {
      const [m] = await client.waitForBroadcasts(1);
      assert.deepEqual(m!.ibm!.stateUpdate!.md.uid, uid);
      const state = await h.stateMachine.state(uid, null, null);
      assert.deepEqual(
        state.items.map((i) => toHex(i.md!.msgID)),
        [toHex(id(7))],
      );
    }
    await assert.rejects(u1.call('consumeMessageMulti', { msg: creation(U1, 8), uids: [U1] }), {
      code: 'GREGOR_ERR_AUTH_MISMATCHED_UID',
    });
  });
});
