// A device offline past the retention horizon, on every engine: gregord's retention job has deleted
// the dismissal it missed, so replaying the retained log leaves it with an item the server no
// longer has; its state hash then differs from the server's, it falls back to `state` (a fresh
// sync) and ends with the server's hash. A device that missed nothing syncs incrementally, even
// with a LatestCTime older than the horizon. The real GregorClient against a real GregorServer.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  GregorClient,
  MemoryClientStorage,
  type SyncOutcome,
} from '../../packages/client/src/client/internal.js';
import { type Message, stateHash } from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import type { DialectName } from '../../packages/server/src/storage/index.js';
import {
  creation,
  dismissal,
  idsOf,
  retryEvery,
  spyConnector,
  T0,
  U1,
} from '../unit/client/fixtures.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_SKIPS,
  type StoragePlace,
} from '../unit/storage/storage-places.js';
import { type Harness, startServer } from './helpers/test-server.js';

const DAY = 86_400_000;
const KEEP = 30 * DAY;

/** C(M) with an absolute expiry. */
function expiring(n: number, dtime: number): Message {
  const m = creation(U1, n);
  m.ibm!.stateUpdate!.creation!.dtime = { time: dtime, offset: 0 };
  return m;
}

const ENGINES: readonly ('memory' | DialectName)[] = ['memory', 'sqlite', 'postgres', 'mysql'];

for (const kind of ENGINES) {
  const skip = kind === 'memory' ? undefined : STORAGE_SKIPS[kind];
  describe(`a device offline past the retention horizon (${kind})`, { skip: skip ?? false }, () => {
    let place: StoragePlace | undefined;
    let clock: ManualClock;
    let engine: StateMachine;
    let h: Harness;
    const clients: GregorClient[] = [];

    before(async () => {
      if (kind !== 'memory') place = await openStoragePlace(kind, 'gregor_retc');
    });
    after(async () => {
      await place?.drop();
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await h.close();
      await engine.close();
    });

    async function open(): Promise<void> {
      clock = new ManualClock(T0);
      engine =
        place === undefined ? new MemoryEngine({ clock }) : await openEngineOn(place, { clock });
      await engine.clear();
      h = await startServer({ stateMachine: engine, retention: { retentionMs: KEEP } });
    }

    function device(storage: MemoryClientStorage): GregorClient {
      const c = new GregorClient({
        uid: U1,
        token: h.auth.allow(U1),
        connect: spyConnector(h.addresses.tcp!.port),
        storage,
        reconnect: retryEvery(10),
        // Expiry is judged on each side's clock: the device's is the server's.
        clock,
      });
      clients.push(c);
      return c;
    }

    /** Start `c` and resolve with its first sync. */
    async function synced(c: GregorClient, restore: boolean): Promise<SyncOutcome> {
      if (restore) assert.equal(await c.restore(), true);
      const outcome = new Promise<SyncOutcome>((resolve) => {
        const off = c.on('sync', (o) => {
          off();
          resolve(o);
        });
      });
      await c.start();
      return outcome;
    }

    async function serverHash(): Promise<Uint8Array> {
      return stateHash(await engine.state(U1, null, null));
    }

    it('converges through a fresh sync when what it missed was deleted; incrementally when it missed nothing', async () => {
      await open();
      for (const m of [creation(U1, 1), creation(U1, 2), expiring(3, T0 + 3_600_000)]) {
        await engine.consumeMessage(m);
      }
      // Two devices sync at T0 and go offline.
      const offline = new MemoryClientStorage();
      const upToDate = new MemoryClientStorage();
      for (const storage of [offline, upToDate]) {
        const c = device(storage);
        assert.equal((await synced(c, false)).isFresh, false);
        assert.deepEqual(await c.stateHash(), await serverHash());
        await c.close();
      }
      // A day later M2 is dismissed and M5 created; the second device catches up at day 20.
      clock.set(T0 + DAY);
      await engine.consumeMessage(dismissal(U1, 4, [2]));
      await engine.consumeMessage(creation(U1, 5));
      clock.set(T0 + 20 * DAY);
      const b = device(upToDate);
      assert.equal((await synced(b, true)).isFresh, false);
      await b.close();

      // Day 40: the horizon is day 10; M2, its dismissal M4, and the expired M3 go.
      clock.set(T0 + 40 * DAY);
      const run = await h.server.retention!.runOnce();
      assert.deepEqual(run.deleted, { items: 2, messages: 3, reminders: 0 });

      const a = device(offline);
      const fresh = await synced(a, true);
      assert.equal(fresh.isFresh, true, 'the dismissal of M2 is gone: the hashes differ');
      assert.deepEqual(idsOf(await a.stateMachineState(null, false)), [1, 5]);
      assert.deepEqual(await a.stateHash(), await serverHash());

      // Its LatestCTime (day 1) is older than the horizon, but it missed nothing: incremental.
      const again = device(upToDate);
      assert.equal((await synced(again, true)).isFresh, false);
      assert.deepEqual(await again.stateHash(), await serverHash());
    });
  });
}
