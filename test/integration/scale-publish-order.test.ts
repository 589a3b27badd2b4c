// Order across instances (ARCHITECTURE.md rule 4 in a cluster): a consume's answer waits until
// its publication to the other instances has settled, so a consume made after that answer — on
// any instance — reaches every device after it. The user's lane does not wait: the local
// broadcast and the user's next messages go on while the publication is held. In-process server
// on loopback, with a real in-process bus whose publishes the test holds and releases.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { gregorError } from '../../src/errors.js';
import { type Bus, InProcessBus } from '../../src/pubsub/index.js';
import { creation, eventually, type Harness, oob, startServer, U1 } from './helpers/test-server.js';

/**
 * `inner` whose publishes wait until `release()`, then go through (or, with `fail`, reject as a
 * broken Redis would); `held()` counts the ones waiting.
 */
function heldPublishBus(
  inner: Bus,
  opts: { fail?: boolean } = {},
): { bus: Bus; held: () => number; release: () => void } {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let waiting = 0;
  const bus = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'publish') {
        return async (...args: Parameters<Bus['publish']>) => {
          waiting++;
          await gate;
          waiting--;
          if (opts.fail) throw gregorError('GREGOR_ERR_BUS_FAILED', 'redis publish failed');
          return target.publish(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { bus, held: () => waiting, release: () => open() };
}

const label = (m: { oobm?: { system: string } | undefined }): string => m.oobm?.system ?? 'ibm';

describe('consume answers after its publication (cross-instance order)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function harness(bus: Bus): Promise<Harness> {
    const h = await startServer({ bus });
    cleanups.push(() => h.close());
    return h;
  }

  it('holds the answer until the publication settles, without holding the user’s lane', async () => {
    const inner = new InProcessBus();
    cleanups.push(() => inner.close());
    const { bus, held, release } = heldPublishBus(inner);
    const h = await harness(bus);
    const [writer, otherWriter, device] = [await h.user(U1), await h.user(U1), await h.user(U1)];
    let firstAnswered = false;
    const first = writer.call('consumeMessage', { m: oob(U1, 'first') }).then(() => {
      firstAnswered = true;
    });
    const second = otherWriter.call('consumeMessage', { m: creation(U1, 2) });
    // Both went through the lane and were broadcast here while their publications wait.
    await device.waitForBroadcasts(2);
    assert.deepEqual(device.received.map(label), ['first', 'ibm']);
    await eventually(() => held() === 2, 3000, 'both publications to be held');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(firstAnswered, false, 'no answer before the publication settled');
    release();
    await Promise.all([first, second]);
    assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 1);
  });

  it('answers with success once a held publication fails (counted and logged, not returned)', async () => {
    const inner = new InProcessBus();
    cleanups.push(() => inner.close());
    const { bus, held, release } = heldPublishBus(inner, { fail: true });
    const h = await harness(bus);
    const a = await h.user(U1);
    let answered = false;
    const consumed = a.call('consumeMessage', { m: creation(U1, 1) }).then(() => {
      answered = true;
    });
    await a.waitForBroadcasts(1);
    await eventually(() => held() === 1, 3000, 'the publication to be held');
    assert.equal(answered, false);
    release();
    await consumed;
    const failures = await h.server.metrics.busPublishFailures.get();
    assert.equal(failures.values[0]?.value, 1);
    assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 1, 'stored');
  });
});
