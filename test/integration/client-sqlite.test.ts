// The client (the memory engine's semantics) against gregord on the SQL engine (SQLite in memory):
// both ends must build the same state and the same hash, or every sync would turn into a fresh
// sync.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  GregorClient,
  MemoryClientStorage,
  type SyncOutcome,
} from '../../packages/client/src/client/internal.js';
import { type Message, stateHash } from '../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../packages/client/src/state/index.js';
import { openSqlEngine, type SqlEngine } from '../../packages/server/src/storage/index.js';
import { eventually } from '../helpers/eventually.js';
import {
  creation,
  dismissal,
  idsOf,
  retryEvery,
  type SpyConnector,
  spyConnector,
  T0,
  U1,
} from '../unit/client/fixtures.js';
import { type Harness, startServer } from './helpers/test-server.js';

/** C(M) with an absolute expiry. */
function expiring(n: number, ctime: number, dtime: number): Message {
  const m = creation(U1, n, ctime);
  m.ibm!.stateUpdate!.creation!.dtime = { time: dtime, offset: 0 };
  return m;
}

describe('GregorClient against gregord on SQLite', () => {
  let engine: SqlEngine;
  let h: Harness;
  let spy: SpyConnector;
  const clients: GregorClient[] = [];

  beforeEach(async () => {
    engine = await openSqlEngine('sqlite::memory:', { clock: new ManualClock(T0) });
    h = await startServer({ stateMachine: engine });
    spy = spyConnector(h.addresses.tcp!.port);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.close();
    await engine.close();
  });

  function client(storage = new MemoryClientStorage()): GregorClient {
    const c = new GregorClient({
      uid: U1,
      token: h.auth.allow(U1),
      connect: spy,
      storage,
      reconnect: retryEvery(10),
      // Expiry is judged on each side's own clock: keep the device's in step with the server's.
      clock: new ManualClock(T0),
    });
    clients.push(c);
    return c;
  }

  async function serverHash(): Promise<Uint8Array> {
    return stateHash(await engine.state(U1, null, null));
  }

  it('a first sync from 0 matches the SQL state hash, with dismissals and expiries', async () => {
    await engine.consumeMessage(creation(U1, 1, T0 - 3000));
    await engine.consumeMessage(expiring(2, T0 - 2000, T0 + 60_000));
    await engine.consumeMessage(creation(U1, 3, T0 - 1000));
    await engine.consumeMessage(dismissal(U1, 4, [1]));
    const c = client();
    const synced = new Promise<SyncOutcome>((resolve) => c.on('sync', resolve));
    await c.start();
    assert.equal((await synced).isFresh, false);
    assert.equal(spy.callsOf('state').length, 0);
    assert.deepEqual(idsOf(await c.stateMachineState(null, false)), [2, 3]);
    assert.deepEqual(await c.stateHash(), await serverHash());
  });

  it('writes through the outbox, and a restored client syncs incrementally to the same hash', async () => {
    const storage = new MemoryClientStorage();
    const a = client(storage);
    await a.start();
    await a.consumeMessage(creation(U1, 1));
    await eventually(async () => idsOf(await a.stateMachineState(null, false)).length === 1, {
      message: 'echo',
    });
    await a.close();
    await engine.consumeMessage(creation(U1, 2, T0 + 5));
    const b = client(storage);
    assert.equal(await b.restore(), true);
    const synced = new Promise<SyncOutcome>((resolve) => b.on('sync', resolve));
    await b.start();
    const outcome = await synced;
    assert.equal(outcome.isFresh, false);
    assert.deepEqual(
      outcome.messages.map((m) => m.stateUpdate?.md.msgID[0]),
      [1, 2],
      'from the restored LatestCTime, inclusive',
    );
    assert.deepEqual(await b.stateHash(), await serverHash());
  });
});
