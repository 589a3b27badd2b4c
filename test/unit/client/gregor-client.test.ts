// GregorClient's lifecycle and input checks, without a server (the protocol cases run against a
// real gregord in test/integration/client-*.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import {
  type ClientStatus,
  decodeSavedLocal,
  GregorClient,
  type GregorClientOptions,
  MemoryClientStorage,
  storageKeys,
} from '../../../packages/client/src/client/internal.js';
import { gregorError } from '../../../packages/client/src/errors.js';
import type { RpcSession } from '../../../packages/client/src/rpc/index.js';
import { creation, fakeTime, oob, U1, U2 } from './fixtures.js';

const refused = gregorError('GREGOR_ERR_CLOSED', 'cannot connect to 127.0.0.1:1: ECONNREFUSED');

function client(opts: Partial<GregorClientOptions> = {}): GregorClient {
  return new GregorClient({
    uid: U1,
    token: 'tok',
    connect: async () => {
      throw refused;
    },
    reconnect: false,
    ...opts,
  });
}

async function statuses(c: GregorClient): Promise<ClientStatus['type'][]> {
  const seen: ClientStatus['type'][] = [];
  for await (const s of c.status()) seen.push(s.type);
  return seen;
}

describe('GregorClient lifecycle', () => {
  it('closes with the connect error when the policy allows no retry; start() rejects with it', async () => {
    const c = client();
    const seen = statuses(c);
    await assert.rejects(c.start(), refused);
    assert.equal(await c.closed(), refused);
    assert.deepEqual(await seen, ['disconnected', 'connecting', 'closed']);
    assert.equal(c.state, 'closed');
  });

  it('start() twice is a lifecycle error; after close() it is a closed error', async () => {
    const c = client({ reconnect: (): number => 60_000, ...fakeTime(FakeTimers.createClock()) });
    const started = c.start();
    await assert.rejects(c.start(), { code: 'GREGOR_ERR_LIFECYCLE_STATE' });
    await c.close();
    await assert.rejects(started, { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(c.start(), { code: 'GREGOR_ERR_CLOSED' });
  });

  it('close() before start() reports closed without error, and every call then fails closed', async () => {
    const c = client();
    const closing = c.close();
    await assert.rejects(c.start(), { code: 'GREGOR_ERR_CLOSED' }, 'start() while closing');
    await closing;
    await c.close();
    assert.equal(await c.closed(), undefined);
    assert.deepEqual(await statuses(c), ['closed']);
    await assert.rejects(c.consumeMessage(creation(U1, 1)), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(c.sync(), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(c.stateMachineState(null, true), { code: 'GREGOR_ERR_CLOSED' });
  });

  it('close() ends a reconnect wait at once and clears its timer', async () => {
    const fake = FakeTimers.createClock();
    const c = client({ reconnect: (): number => 3_600_000, ...fakeTime(fake) });
    const started = c.start();
    for await (const s of c.status()) if (s.type === 'reconnecting') break;
    await c.close();
    await assert.rejects(started, { code: 'GREGOR_ERR_CLOSED' });
    assert.equal(fake.countTimers(), 0, 'no reconnect or outbox timer is left');
  });

  it('close() aborts a connect under way', async () => {
    let aborted = false;
    const c = client({
      connect: (signal) =>
        new Promise<RpcSession>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    });
    const started = c.start();
    await c.close();
    assert.equal(aborted, true);
    await assert.rejects(started, { code: 'GREGOR_ERR_CLOSED' });
    assert.equal(await c.closed(), undefined);
  });
});

describe('GregorClient writes', () => {
  it('queues and saves an in-band write made before start()', async () => {
    const storage = new MemoryClientStorage();
    const c = client({ storage });
    await c.consumeMessage(creation(U1, 1));
    assert.equal(c.outbox().length, 1);
    const saved = await storage.get(storageKeys(U1).local);
    assert.equal(decodeSavedLocal(saved!).outbox.length, 1);
    await c.close();
  });

  it('refuses what the server would refuse, and another user’s message, queuing nothing', async () => {
    const c = client();
    const noBody = creation(U1, 1);
    noBody.ibm!.stateUpdate!.creation!.body = null;
    await assert.rejects(c.consumeMessage(noBody), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: 'invalid consume call: missing body',
    });
    await assert.rejects(c.consumeMessage({}), { code: 'GREGOR_ERR_INPUT_INVALID' });
    await assert.rejects(c.consumeMessage(creation(U2, 1)), { code: 'GREGOR_ERR_INPUT_INVALID' });
    assert.deepEqual(c.outbox(), []);
    await c.close();
  });

  it('needs a connection for an out-of-band message and for sync()', async () => {
    const c = client();
    await assert.rejects(c.consumeMessage(oob(U1)), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(c.sync(), /not connected/);
    await c.close();
  });
});
