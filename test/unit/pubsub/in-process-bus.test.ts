/** What only the in-process bus does; the shared behaviours are in test/conformance/bus-suite.ts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import { memoryLogger } from '../../conformance/bus-suite.js';

const UID = Uint8Array.from([1, 2, 3, 4]);

describe('InProcessBus', () => {
  it('is a cluster of one without a broker: publish reaches nobody, gather answers nothing', async () => {
    const bus = new InProcessBus({ logger: memoryLogger() });
    let received = 0;
    await bus.subscribe(UID, () => received++);
    await bus.publish(UID, Uint8Array.from([1]));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(received, 0);
    assert.deepEqual(await bus.gather(Uint8Array.from([1]), { timeoutMs: 60_000 }), []);
    await bus.close();
  });

  it('delivers asynchronously, never inside the publisher’s call', async () => {
    const broker = new InProcessBroker();
    const a = new InProcessBus({ broker });
    const b = new InProcessBus({ broker });
    let received = 0;
    await b.subscribe(UID, () => received++);
    const publishing = a.publish(UID, Uint8Array.from([1]));
    assert.equal(received, 0);
    await publishing;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(received, 1);
    await Promise.all([a.close(), b.close()]);
  });

  it('leaves its broker on close, so later publications skip it', async () => {
    const broker = new InProcessBroker();
    const a = new InProcessBus({ broker });
    const b = new InProcessBus({ broker });
    assert.equal(broker.size, 2);
    await b.close();
    assert.equal(broker.size, 1);
    assert.deepEqual(await a.gather(Uint8Array.from([1]), { timeoutMs: 60_000 }), []);
    await a.close();
  });

  it('rejects a publish whose signal is already aborted, or a payload that is not bytes', async () => {
    const bus = new InProcessBus();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(bus.publish(UID, Uint8Array.from([1]), { signal: controller.signal }), {
      code: 'GREGOR_ERR_ABORTED',
    });
    await assert.rejects(bus.publish(UID, 'text' as unknown as Uint8Array), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
    await bus.close();
  });
});
