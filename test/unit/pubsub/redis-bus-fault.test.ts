/**
 * RedisBus under faults: stopping Redis must produce a resync signal. The shared
 * Redis on 6379 serves other suites and is never stopped: these tests start a private
 * redis-server on a free loopback port, kill and restart it, and always stop it at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';
import { type Bus, RedisBus } from '../../../packages/server/src/pubsub/index.js';
import { memoryLogger } from '../../conformance/bus-suite.js';
import { eventually } from '../../helpers/eventually.js';
import { PrivateRedisServer } from './private-redis-server.js';

const WAIT_MS = 10_000;

/** How `eventually` waits for Redis and the buses. */
const BUS_WAIT = { timeoutMs: WAIT_MS, intervalMs: 10 };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const U1 = Uint8Array.from([1, 1, 1, 1]);
const U2 = Uint8Array.from([2, 2, 2, 2]);
const U3 = Uint8Array.from([3, 3, 3, 3]);

describe('RedisBus fault handling (private redis-server)', () => {
  let server: PrivateRedisServer;
  const buses: Bus[] = [];
  const connect = async (
    options: { maxPendingPublishes?: number; reconnect?: (attempt: number) => number } = {},
  ): Promise<RedisBus> => {
    const bus = await RedisBus.connect({
      url: server.url,
      logger: memoryLogger(),
      // Fast backoff keeps the test short; the policy is a function, as gregord's may be.
      reconnect: (attempt) => Math.min(10 * 2 ** attempt, 100),
      ...options,
    });
    buses.push(bus);
    return bus;
  };

  before(async () => {
    server = await PrivateRedisServer.start();
  });
  after(async () => {
    server.resume();
    await Promise.all(buses.map((bus) => bus.close()));
    await server.stop();
  });

  it('fails publishes fast during an outage, then resubscribes, emits resync and delivers again', async () => {
    const a = await connect();
    const b = await connect();
    const got: string[] = [];
    const record = (payload: Uint8Array): void => {
      got.push(Buffer.from(payload).toString());
    };
    let resyncs = 0;
    b.onResync(() => {
      throw new Error('a broken resync handler must not stop the others');
    });
    b.onResync(() => resyncs++);
    await b.subscribe(U1, record);
    const leaving = await b.subscribe(U3, record);
    await a.publish(U1, text('before'));
    await eventually(() => got.includes('before'), {
      ...BUS_WAIT,
      message: 'delivery before the outage',
    });

    await server.kill();
    await eventually(() => !a.isReady && !b.isReady, {
      ...BUS_WAIT,
      message: 'both buses to notice the outage',
    });
    // No offline queue: every publish fails at once, and none is kept for later.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, () => a.publish(U1, text('lost'))),
    );
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.equal((outcome as PromiseRejectedResult).reason.code, 'GREGOR_ERR_BUS_FAILED');
    }
    assert.equal(a.stats().publishFailures, 100);
    // Changes made while Redis is away are kept in the bus's registry and applied on reconnect.
    await b.subscribe(U2, record);
    await leaving.unsubscribe();
    assert.equal(resyncs, 0);

    await server.restart();
    // One resync from b's own reconnect; a second when a's request for its lost publications
    // arrives after b has resubscribed (the next test pins that order down).
    await eventually(() => resyncs >= 1, { ...BUS_WAIT, message: 'resync after the restart' });
    await eventually(() => b.isReady, { ...BUS_WAIT, message: 'b to resubscribe' });
    await eventually(() => a.isReady, { ...BUS_WAIT, message: 'the publisher to reconnect' });
    assert.equal(b.stats().handlerErrors, resyncs);
    await a.publish(U1, text('after-1'));
    await a.publish(U2, text('after-2'));
    await a.publish(U3, text('after-3'));
    await a.publish(U1, text('fence'));
    await eventually(() => got.includes('fence'), {
      ...BUS_WAIT,
      message: 'delivery after the restart',
    });
    assert.deepEqual(got, ['before', 'after-1', 'after-2', 'fence']);

    const probe = createClient({ url: server.url });
    await probe.connect();
    const counts = await probe.pubSubNumSub([
      'gregor:u:01010101',
      'gregor:u:02020202',
      'gregor:u:03030303',
    ]);
    probe.destroy();
    assert.deepEqual(counts, {
      'gregor:u:01010101': 1,
      'gregor:u:02020202': 1,
      'gregor:u:03030303': 0,
    });
  });

  it('asks the other instances to resync the users whose publications were lost, once its publisher is back', async () => {
    // a reconnects well after b has resubscribed and resynced: the messages a failed to publish
    // meanwhile would otherwise never reach b's devices (found by npm run reliability, redis-faults).
    const a = await connect({ reconnect: () => 3000 });
    const b = await connect();
    // What each resync names: every user (undefined), or the hex uids.
    const resyncs: Array<string[] | undefined> = [];
    b.onResync((uids) => resyncs.push(uids?.map((uid) => Buffer.from(uid).toString('hex'))));
    await b.subscribe(U1, () => undefined);

    await server.kill();
    await eventually(() => !a.isReady && !b.isReady, {
      ...BUS_WAIT,
      message: 'both buses to notice the outage',
    });
    await assert.rejects(a.publish(U1, text('lost')), { code: 'GREGOR_ERR_BUS_FAILED' });
    await assert.rejects(a.publish(U2, text('lost')), { code: 'GREGOR_ERR_BUS_FAILED' });
    await assert.rejects(a.publish(U1, text('lost again')), { code: 'GREGOR_ERR_BUS_FAILED' });
    await server.restart();
    await eventually(() => resyncs.length === 1, {
      ...BUS_WAIT,
      message: "b's own resync after its reconnect",
    });
    assert.deepEqual(resyncs[0], undefined, 'one Redis server lost: every user');
    assert.equal(a.isReady, false, 'a is still reconnecting');
    await eventually(() => resyncs.length === 2, {
      ...BUS_WAIT,
      message: 'the resync a asks for once it is back',
    });
    // On each lost user's channel: b serves U1, not U2.
    assert.deepEqual(resyncs[1], ['01010101'], 'the users of the lost publications');
    assert.equal(a.isReady, true);

    // Asked once: a later successful publication asks nothing more.
    await a.publish(U1, text('after'));
    await delay(200);
    assert.equal(resyncs.length, 2);
  });

  it('bounds a publish to a frozen Redis by its timeout and the pending-command cap', async () => {
    const a = await connect({ maxPendingPublishes: 5 });
    server.pause();
    try {
      const waiting = Array.from({ length: 5 }, () => a.publish(U1, text('x'), { timeoutMs: 200 }));
      await assert.rejects(a.publish(U1, text('one too many')), { code: 'GREGOR_ERR_BUS_FAILED' });
      for (const publish of waiting) {
        await assert.rejects(publish, { code: 'GREGOR_ERR_BUS_FAILED' });
      }
    } finally {
      server.resume();
    }
    // The timed-out commands leave the queue once the thawed Redis answers them.
    await eventually(
      () =>
        a.publish(U1, text('thawed')).then(
          () => true,
          () => false,
        ),
      { ...BUS_WAIT, message: 'publishing to work again' },
    );
  });
});
