/** What only the Redis bus does; the shared behaviours are in test/conformance/bus-suite.ts. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type RedisClientType } from 'redis';
import { ENVELOPE_KIND, encodeEnvelope } from '../../../packages/server/src/pubsub/envelope.js';
import { RedisBus } from '../../../packages/server/src/pubsub/index.js';
import { memoryLogger } from '../../conformance/bus-suite.js';
import { eventually } from '../../helpers/eventually.js';
import { REDIS_URL, serviceSkipReason, uniqueName } from '../../helpers/services.js';
import { freePort } from './private-redis-server.js';

const UID = Uint8Array.from(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'));
const FOREIGN_ORIGIN = Buffer.alloc(16, 0xee);

describe('RedisBus', { skip: await serviceSkipReason('redis') }, () => {
  let probe: RedisClientType;
  const open: RedisBus[] = [];
  const connect = async (channelPrefix: string): Promise<RedisBus> => {
    const bus = await RedisBus.connect({ url: REDIS_URL, channelPrefix, logger: memoryLogger() });
    open.push(bus);
    return bus;
  };
  const numSub = async (channel: string): Promise<number> =>
    (await probe.pubSubNumSub(channel))[channel] ?? -1;

  before(async () => {
    probe = createClient({ url: REDIS_URL });
    await probe.connect();
  });
  after(async () => {
    await Promise.all(open.map((bus) => bus.close()));
    probe.destroy();
  });

  it('rejects with GREGOR_ERR_BUS_FAILED when Redis is unreachable within connectTimeoutMs', async () => {
    const port = await freePort();
    await assert.rejects(
      RedisBus.connect({
        url: `redis://127.0.0.1:${port}`,
        connectTimeoutMs: 300,
        logger: memoryLogger(),
      }),
      { code: 'GREGOR_ERR_BUS_FAILED' },
    );
  });

  it('rejects bad options with GREGOR_ERR_CONFIG_INVALID before connecting', async () => {
    await assert.rejects(RedisBus.connect({ url: REDIS_URL, publishTimeoutMs: -5 }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
    });
  });

  it('holds one Redis subscription per uid however many local subscribers share it', async () => {
    const prefix = `${uniqueName('gregor_bus_unit')}:`;
    const channel = `${prefix}u:${Buffer.from(UID).toString('hex')}`;
    const bus = await connect(prefix);
    const s1 = await bus.subscribe(UID, () => {});
    const s2 = await bus.subscribe(UID, () => {});
    assert.equal(await numSub(channel), 1);
    await s1.unsubscribe();
    assert.equal(await numSub(channel), 1);
    await s2.unsubscribe();
    assert.equal(await numSub(channel), 0);
  });

  it('ends subscribed after a quick unsubscribe/subscribe flip of the last subscriber', async () => {
    const prefix = `${uniqueName('gregor_bus_unit')}:`;
    const channel = `${prefix}u:${Buffer.from(UID).toString('hex')}`;
    const bus = await connect(prefix);
    const first = await bus.subscribe(UID, () => {});
    const leaving = first.unsubscribe();
    const again = bus.subscribe(UID, () => {});
    await Promise.all([leaving, again]);
    assert.equal(await numSub(channel), 1);
  });

  it('drops malformed envelopes and its own, and delivers another origin’s by the documented layout', async () => {
    const prefix = `${uniqueName('gregor_bus_unit')}:`;
    const channel = `${prefix}u:${Buffer.from(UID).toString('hex')}`;
    const bus = await connect(prefix);
    const got: string[] = [];
    await bus.subscribe(UID, (payload) => got.push(Buffer.from(payload).toString()));
    await probe.publish(channel, Buffer.from('not an envelope'));
    await bus.publish(UID, Buffer.from('own'));
    await probe.publish(
      channel,
      encodeEnvelope(ENVELOPE_KIND.message, FOREIGN_ORIGIN, Buffer.from('hi')),
    );
    await eventually(() => got.length > 0, { timeoutMs: 5000, message: 'the foreign message' });
    assert.deepEqual(got, ['hi']);
    const stats = bus.stats();
    assert.equal(stats.malformed, 1);
    assert.equal(stats.droppedOwn, 1);
    assert.equal(stats.published, 1);
  });

  it('answers a gather request from another origin on that origin’s reply channel', async () => {
    const prefix = `${uniqueName('gregor_bus_unit')}:`;
    const bus = await connect(prefix);
    bus.onGather(async (req) => Buffer.concat([Buffer.from('re:'), req]));
    const listener = probe.duplicate();
    await listener.connect();
    const replies: Buffer[] = [];
    await listener.subscribe(
      `${prefix}r:${FOREIGN_ORIGIN.toString('hex')}`,
      (message) => replies.push(message),
      true,
    );
    const request = encodeEnvelope(
      ENVELOPE_KIND.gatherRequest,
      FOREIGN_ORIGIN,
      Buffer.from('q'),
      42,
    );
    assert.equal(await probe.publish(`${prefix}g`, request), 1);
    await eventually(() => replies.length > 0, { timeoutMs: 5000, message: 'the gather answer' });
    listener.destroy();
    const expected = encodeEnvelope(
      ENVELOPE_KIND.gatherAnswer,
      Buffer.from(bus.instanceId, 'hex'),
      Buffer.from('re:q'),
      42,
    );
    assert.deepEqual(replies, [expected]);
  });
});
