import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClientStorage,
  LocalReplica,
  MemoryClientStorage,
  silentClientLogger,
  storageKeys,
} from '../../../packages/client/src/client/internal.js';
import { makeState } from '../../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { creation, dismissal, idsOf, mid, T0, U1, ZERO } from './fixtures.js';

function replicaOn(storage?: ClientStorage): LocalReplica {
  return new LocalReplica({
    uid: U1,
    deviceID: null,
    clock: new ManualClock(T0),
    storage,
    logger: silentClientLogger,
  });
}

describe('LocalReplica', () => {
  it('stateMachineState with applyLocalState hides local dismissals and applies the outbox', async () => {
    const r = replicaOn();
    for (const n of [1, 2, 3]) await r.consume(creation(U1, n, T0 - 10 + n));
    r.consumeLocalDismissal(mid(2));
    r.enqueue(creation(U1, 4));
    r.enqueue(dismissal(U1, 5, [1]));
    assert.deepEqual(idsOf(await r.stateMachineState(ZERO, true)), [3, 4]);
    assert.deepEqual(idsOf(await r.stateMachineState(null, false)), [1, 2, 3]);
    assert.equal(r.outbox().length, 2, 'the outbox is only applied to a scratch copy');
  });

  it('inBandMessagesSince can leave out locally dismissed messages', async () => {
    const r = replicaOn();
    for (const n of [1, 2]) await r.consume(creation(U1, n, T0 + n));
    r.consumeLocalDismissal(mid(1));
    const ids = (msgs: { stateUpdate?: { md: { msgID: Uint8Array } } }[]) =>
      msgs.map((m) => m.stateUpdate?.md.msgID[0]);
    assert.deepEqual(ids(await r.inBandMessagesSince(0, false)), [1, 2]);
    assert.deepEqual(ids(await r.inBandMessagesSince(0, true)), [2]);
  });

  it('replaceState keeps the outbox and the local dismissals of items still present', async () => {
    const r = replicaOn();
    for (const n of [1, 2]) await r.consume(creation(U1, n, T0 + n));
    r.consumeLocalDismissal(mid(1));
    r.consumeLocalDismissal(mid(2));
    r.enqueue(creation(U1, 9));
    const server = makeState([
      (await r.state()).items[1]!,
      {
        md: { uid: U1, msgID: mid(3), ctime: T0 + 3, deviceID: null, inBandMsgType: 1 },
        item: { category: 'c', dtime: ZERO, remindTimes: [], body: Uint8Array.of(1) },
      },
    ]);
    await r.replaceState(server);
    assert.deepEqual(idsOf(await r.state()), [2, 3]);
    assert.deepEqual(r.localDismissals(), [mid(2)]);
    assert.deepEqual(r.outbox(), [creation(U1, 9)]);
    assert.equal(await r.latestCTime(), T0 + 3);
  });

  it('save then restore brings back the hash, the local dismissals and the outbox', async () => {
    const storage = new MemoryClientStorage();
    const a = replicaOn(storage);
    for (const n of [1, 2, 3]) await a.consume(creation(U1, n, T0 + n));
    a.consumeLocalDismissal(mid(3));
    a.enqueue(creation(U1, 4));
    await a.save();
    const b = replicaOn(storage);
    assert.equal(await b.restore(), true);
    assert.deepEqual(await b.hash(), await a.hash());
    assert.deepEqual(b.localDismissals(), [mid(3)]);
    assert.deepEqual(b.outbox(), a.outbox());
    assert.equal(await b.latestCTime(), T0 + 3);
  });

  it('restore finds nothing in an empty storage, and nothing without one', async () => {
    assert.equal(await replicaOn(new MemoryClientStorage()).restore(), false);
    assert.equal(await replicaOn().restore(), false);
  });

  it('restore keeps the state when the local dismissals and outbox are damaged', async () => {
    const storage = new MemoryClientStorage();
    const a = replicaOn(storage);
    await a.consume(creation(U1, 1, T0));
    a.enqueue(creation(U1, 2));
    await a.save();
    await storage.put(storageKeys(U1).local, new TextEncoder().encode('{"d": 7}'));
    const b = replicaOn(storage);
    assert.equal(await b.restore(), true);
    assert.deepEqual(idsOf(await b.state()), [1]);
    assert.deepEqual(b.outbox(), []);
  });

  it('restore rejects a damaged state, and save reports a failing storage as a storage error', async () => {
    const storage = new MemoryClientStorage();
    await storage.put(storageKeys(U1).state, Uint8Array.of(0xc1));
    await assert.rejects(replicaOn(storage).restore(), { code: 'GREGOR_ERR_INPUT_INVALID' });
    const broken: ClientStorage = {
      get: async () => {
        throw new Error('disk gone');
      },
      put: async () => {
        throw new Error('disk full');
      },
    };
    await assert.rejects(replicaOn(broken).save(), { code: 'GREGOR_ERR_STORAGE_FAILED' });
    await assert.rejects(replicaOn(broken).restore(), { code: 'GREGOR_ERR_STORAGE_FAILED' });
  });

  it('a burst of saves shares writes and the last write holds the latest state', async () => {
    const writes: string[] = [];
    const inner = new MemoryClientStorage();
    const storage: ClientStorage = {
      get: (key) => inner.get(key),
      put: async (key, bytes) => {
        writes.push(key);
        await inner.put(key, bytes);
      },
    };
    const r = replicaOn(storage);
    const saves: Promise<void>[] = [];
    for (const n of [1, 2, 3, 4]) {
      await r.consume(creation(U1, n, T0 + n));
      saves.push(r.save());
    }
    await Promise.all(saves);
    assert.ok(writes.length < 8, `4 saves, ${writes.length / 2} writes`);
    const copy = replicaOn(inner);
    await copy.restore();
    assert.deepEqual(idsOf(await copy.state()), [1, 2, 3, 4]);
  });
});
