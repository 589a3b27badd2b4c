// One user's queued consumes run as one batch (docs/architecture.md, "4. The Hub and the user's
// lane"), through a real GregorServer on the memory engine and on SQLite: the consumes waiting
// behind each other in the user's lane reach the engine together, in order, and each caller gets
// its own answer; a refused message fails alone and is neither published nor broadcast (rule 1);
// every connection and the bus see the user's messages in consume order (rule 4); and a control
// job (an attach, a local broadcast, a message from another instance) keeps its place among them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  decodeMsgpack,
  METHODS,
  type Message,
  toHex,
} from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import { InProcessBroker, InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { encodeBroadcastArgs } from '../../packages/server/src/server/internal.js';
import { openSqlEngine } from '../../packages/server/src/storage/index.js';
import { eventually } from '../helpers/eventually.js';
import { withOverrides } from './helpers/engine-faults.js';
import {
  creation,
  dismissal,
  type Harness,
  type HarnessOptions,
  mid,
  oob,
  startServer,
  T0,
  U1,
} from './helpers/test-server.js';

/**
 * The engine's `consume` as the storage stage calls it, observed: how many calls were in flight
 * when each one started (a batch's calls all start before the first answers), and a hold that
 * keeps the next call (and so the user's lane) waiting while the test queues more behind it.
 */
class StorageProbe {
  readonly engine: StateMachine;
  /** For each consume call, in call order: the calls in flight once it started, itself included. */
  readonly concurrency: number[] = [];
  #inFlight = 0;
  #hold: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(real: StateMachine) {
    this.engine = withOverrides(real, {
      consume: async (consume, m, opts) => {
        this.concurrency.push(++this.#inFlight);
        try {
          const hold = this.#hold;
          this.#hold = undefined;
          if (hold !== undefined) await hold;
          return await consume(m, opts);
        } finally {
          this.#inFlight--;
        }
      },
    });
  }

  /** Make the next consume call wait until `release()`. */
  hold(): void {
    this.#hold = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
  }
}

const idOf = (m: Message): string =>
  m.oobm !== undefined ? m.oobm.system : String(m.ibm!.stateUpdate!.md.msgID[0]);

const ENGINES = {
  memory: async () => ({ engine: new MemoryEngine({ clock: new ManualClock(T0) }), drop() {} }),
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-user-batch-'));
    const engine = await openSqlEngine(`sqlite:${join(dir, 'gregor.db')}`, {
      clock: new ManualClock(T0),
    });
    return {
      engine,
      async drop() {
        await engine.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

for (const [kind, open] of Object.entries(ENGINES)) {
  describe(`one user's queued consumes run as one batch (${kind} engine)`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /**
     * A server on a probed engine, and another instance's bus on the same broker: `published`
     * holds what it received for U1, `peer` publishes as that instance.
     */
    async function setup(opts: HarnessOptions = {}) {
      const { engine, drop } = await open();
      cleanups.push(drop);
      const probe = new StorageProbe(engine);
      const broker = new InProcessBroker();
      const bus = new InProcessBus({ broker });
      const peer = new InProcessBus({ broker });
      const published: Message[] = [];
      const sub = await peer.subscribe(U1, (payload) => {
        const args = decodeMsgpack(payload) as unknown[];
        published.push(METHODS.broadcastMessage.decodeArg(args[0]).m);
      });
      cleanups.push(async () => {
        await sub.unsubscribe();
        await peer.close();
        await bus.close();
      });
      const h: Harness = await startServer({ ...opts, stateMachine: probe.engine, bus });
      cleanups.push(() => h.close());
      /** Resolves once `n` jobs wait in U1's lane. */
      const queued = (n: number) =>
        eventually(() => h.server.hub.mailbox.depth(toHex(U1)) === n, {
          message: `${n} jobs queued for U1`,
        });
      return { h, probe, peer, published, queued };
    }

    it('hands the waiting consumes to the engine together, in order, and every connection sees that order', async () => {
      const { h, probe, published, queued } = await setup();
      const a = await h.user(U1);
      const b = await h.user(U1);
      probe.hold();
      const calls = [a.call('consumeMessage', { m: creation(U1, 1) })];
      await eventually(() => probe.concurrency.length === 1);
      calls.push(a.call('consumeMessage', { m: creation(U1, 2) }));
      calls.push(a.call('consumeMessage', { m: creation(U1, 3) }));
      await queued(2);
      calls.push(b.call('consumeMessage', { m: creation(U1, 4) }));
      await queued(3);
      calls.push(a.call('consumeMessage', { m: oob(U1, 'oob') }));
      calls.push(a.call('consumeMessage', { m: creation(U1, 5) }));
      await queued(5);
      probe.release();
      await Promise.all(calls);

      // M1 alone (it held the lane), then M2–M5 handed over before any answered (the out-of-band
      // message skips the engine): on SQLite, one group commit.
      assert.deepEqual(probe.concurrency, [1, 1, 2, 3, 4]);
      const order = ['1', '2', '3', '4', 'oob', '5'];
      for (const c of [a, b]) assert.deepEqual((await c.waitForBroadcasts(6)).map(idOf), order);
      await eventually(() => published.length === 6);
      assert.deepEqual(published.map(idOf), order);
      const stored = await h.stateMachine.inBandMessagesSince(U1, null, 0);
      assert.deepEqual(
        stored.map((ibm) => String(ibm.stateUpdate!.md.msgID[0])),
        ['1', '2', '3', '4', '5'],
      );
    });

    it('fails a refused message alone: not published or broadcast, the rest of the batch goes on', async () => {
      const { h, probe, published, queued } = await setup({ maxItemsPerUser: 2 });
      const a = await h.user(U1);
      const b = await h.user(U1);
      probe.hold();
      const first = a.call('consumeMessage', { m: creation(U1, 1) });
      await eventually(() => probe.concurrency.length === 1);
      const batch = [
        creation(U1, 2),
        creation(U1, 3), // the quota is full: refused
        dismissal(U1, 4, [mid(1)]),
        creation(U1, 5), // room again after M4
        creation(U1, 6), // full again: refused
      ].map((m) => a.call('consumeMessage', { m }));
      await queued(5);
      probe.release();
      await first;
      const outcomes = await Promise.allSettled(batch);
      assert.deepEqual(
        outcomes.map((o) =>
          o.status === 'fulfilled' ? 'ok' : (o.reason as { code: string }).code,
        ),
        ['ok', 'GREGOR_ERR_QUOTA_EXCEEDED', 'ok', 'ok', 'GREGOR_ERR_QUOTA_EXCEEDED'],
      );
      assert.deepEqual(probe.concurrency, [1, 1, 2, 3, 4, 5]);
      // A sentinel after the batch: everything before it has been delivered.
      await a.call('consumeMessage', { m: oob(U1, 'end') });
      const order = ['1', '2', '4', '5', 'end'];
      for (const c of [a, b]) assert.deepEqual((await c.waitForBroadcasts(5)).map(idOf), order);
      await eventually(() => published.length === 5);
      assert.deepEqual(published.map(idOf), order);
      const state = await h.stateMachine.state(U1, null, null);
      assert.deepEqual(
        state.items.map((i) => String(i.md!.msgID[0])),
        ['2', '5'],
      );
    });

    it('keeps an attach, a local broadcast and a message from another instance in their place', async () => {
      const { h, probe, peer, queued } = await setup();
      const a = await h.user(U1);
      const su = await h.superuser();
      probe.hold();
      const calls = [a.call('consumeMessage', { m: creation(U1, 1) })];
      await eventually(() => probe.concurrency.length === 1);
      calls.push(a.call('consumeMessage', { m: creation(U1, 2) }));
      await queued(1);
      calls.push(su.call('consumePublishMessage', { m: oob(U1, 'local') }));
      await queued(2);
      calls.push(a.call('consumeMessage', { m: creation(U1, 3) }));
      await queued(3);
      await peer.publish(U1, encodeBroadcastArgs(oob(U1, 'remote')));
      await queued(4);
      calls.push(a.call('consumeMessage', { m: creation(U1, 4) }));
      await queued(5);
      const late = h.user(U1);
      await queued(6);
      calls.push(a.call('consumeMessage', { m: creation(U1, 5) }));
      calls.push(a.call('consumeMessage', { m: creation(U1, 6) }));
      await queued(8);
      probe.release();
      await Promise.all(calls);

      // M2, M3 and M4 each ran alone (a control job follows each); M5 and M6 together.
      assert.deepEqual(probe.concurrency, [1, 1, 1, 1, 1, 2]);
      assert.deepEqual((await a.waitForBroadcasts(8)).map(idOf), [
        '1',
        '2',
        'local',
        '3',
        'remote',
        '4',
        '5',
        '6',
      ]);
      // Attached after M4 and before M5: it gets exactly the messages consumed after it.
      assert.deepEqual((await (await late).waitForBroadcasts(2)).map(idOf), ['5', '6']);
    });
  });
}
