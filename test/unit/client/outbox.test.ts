import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import {
  decodeSavedLocal,
  LocalReplica,
  MemoryClientStorage,
  Outbox,
  type OutboxOptions,
  type Remote,
  silentClientLogger,
  storageKeys,
} from '../../../packages/client/src/client/internal.js';
import { type GregorError, gregorError } from '../../../packages/client/src/errors.js';
import type { Message } from '../../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { eventually } from '../../helpers/eventually.js';
import { creation, fakeTime, oob, T0, U1 } from './fixtures.js';

const INTERVAL_MS = 60_000;
/** Stands for the connection; the outbox only hands it to `send`. */
const REMOTE = {} as Remote;

function msgIDOf(m: Message): number {
  return m.ibm?.stateUpdate?.md.msgID[0] ?? -1;
}

function setup(
  opts: Partial<OutboxOptions> & { fail?: (m: Message) => GregorError | undefined } = {},
) {
  const storage = new MemoryClientStorage();
  const replica = new LocalReplica({
    uid: U1,
    deviceID: null,
    clock: new ManualClock(T0),
    storage,
    logger: silentClientLogger,
  });
  const fake = FakeTimers.createClock(T0);
  const sent: number[] = [];
  const rejected: [number, string][] = [];
  const outbox = new Outbox({
    replica,
    async send(remote, m) {
      assert.equal(remote, REMOTE);
      const err = opts.fail?.(m);
      if (err !== undefined) throw err;
      sent.push(msgIDOf(m));
    },
    remote: () => REMOTE,
    onRejected: (m, err) => rejected.push([msgIDOf(m), err.code]),
    timers: fakeTime(fake).timers,
    intervalMs: INTERVAL_MS,
    logger: silentClientLogger,
    ...opts,
  });
  return { storage, replica, fake, sent, rejected, outbox };
}

describe('Outbox', () => {
  it('sends in order, removes each message on success, then saves', async () => {
    const { replica, outbox, sent, storage } = setup();
    for (const n of [1, 2, 3]) replica.enqueue(creation(U1, n));
    assert.deepEqual(await outbox.drain(), { sent: 3, left: 0 });
    assert.deepEqual(sent, [1, 2, 3]);
    assert.deepEqual(replica.outbox(), []);
    const saved = await storage.get(storageKeys(U1).local);
    assert.ok(saved !== undefined, 'saved after the pass');
    assert.deepEqual(decodeSavedLocal(saved).outbox, []);
  });

  it('stops at the first failure and sends the rest on a later pass', async () => {
    let isDown = true;
    const { replica, outbox, sent } = setup({
      fail: (m) =>
        isDown && msgIDOf(m) === 2 ? gregorError('GREGOR_ERR_TIMEOUT', 'no answer') : undefined,
    });
    for (const n of [1, 2, 3]) replica.enqueue(creation(U1, n));
    assert.deepEqual(await outbox.drain(), { sent: 1, left: 2 });
    assert.deepEqual(replica.outbox().map(msgIDOf), [2, 3]);
    isDown = false;
    assert.deepEqual(await outbox.drain(), { sent: 2, left: 0 });
    assert.deepEqual(sent, [1, 2, 3]);
  });

  it('skips out-of-band messages and drops unsent the in-band ones already in the state', async () => {
    const { replica, outbox, sent } = setup();
    await replica.consume(creation(U1, 1));
    replica.enqueue(oob(U1));
    replica.enqueue(creation(U1, 1));
    replica.enqueue(creation(U1, 2));
    assert.deepEqual(await outbox.drain(), { sent: 1, left: 1 });
    assert.deepEqual(sent, [2]);
    assert.equal(replica.outbox()[0]?.oobm?.system, 's', 'the out-of-band message stays');
  });

  it('drops and reports a message the server refuses for good, and goes on', async () => {
    const { replica, outbox, sent, rejected } = setup({
      fail: (m) =>
        msgIDOf(m) === 1
          ? gregorError('GREGOR_ERR_INPUT_TOO_LARGE', 'invalid consume call: body size')
          : undefined,
    });
    for (const n of [1, 2]) replica.enqueue(creation(U1, n));
    assert.deepEqual(await outbox.drain(), { sent: 1, left: 0 });
    assert.deepEqual(sent, [2]);
    assert.deepEqual(rejected, [[1, 'GREGOR_ERR_INPUT_TOO_LARGE']]);
  });

  it('sends nothing without a connection', async () => {
    const { replica, outbox, sent } = setup({ remote: () => undefined });
    replica.enqueue(creation(U1, 1));
    assert.deepEqual(await outbox.drain(), { sent: 0, left: 1 });
    assert.deepEqual(sent, []);
  });

  it('runs every intervalMs on its timers once started, and not after stop()', async () => {
    const { replica, outbox, sent, fake } = setup();
    outbox.start();
    replica.enqueue(creation(U1, 1));
    await fake.tickAsync(INTERVAL_MS - 1);
    assert.deepEqual(sent, []);
    await fake.tickAsync(1);
    await eventually(() => sent.length === 1, { message: 'the periodic pass' });
    replica.enqueue(creation(U1, 2));
    await fake.tickAsync(INTERVAL_MS);
    await eventually(() => sent.length === 2, { message: 'the next periodic pass' });
    outbox.stop();
    assert.equal(fake.countTimers(), 0);
    replica.enqueue(creation(U1, 3));
    await fake.tickAsync(10 * INTERVAL_MS);
    assert.deepEqual(sent, [1, 2]);
  });

  it('a poke runs a pass without waiting for the interval', async () => {
    const { replica, outbox, sent } = setup();
    outbox.start();
    replica.enqueue(creation(U1, 1));
    outbox.poke();
    await eventually(() => sent.length === 1, { message: 'the poked pass' });
    outbox.stop();
  });

  it('requests made while a pass waits to start share it: each message is sent once', async () => {
    const { replica, outbox, sent } = setup();
    replica.enqueue(creation(U1, 1));
    const [a, b] = await Promise.all([outbox.drain(), outbox.drain()]);
    assert.deepEqual(a, { sent: 1, left: 0 });
    assert.equal(a, b);
    assert.deepEqual(sent, [1]);
  });
});
