import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { GatherTracker } from '../../../packages/server/src/pubsub/gather-tracker.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const texts = (list: Uint8Array[]): string[] => list.map((b) => Buffer.from(b).toString());

describe('GatherTracker', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.uninstall());

  it('resolves as soon as the expected number of replies is in, declines included', async () => {
    const tracker = new GatherTracker();
    const { id, result } = tracker.start(1000);
    tracker.expect(id, 3);
    tracker.reply(id, bytes('a'));
    tracker.reply(id, null);
    tracker.reply(id, bytes('c'));
    assert.deepEqual(texts(await result), ['a', 'c']);
    assert.equal(tracker.size, 0);
  });

  it('accepts replies that arrive before the expected count is known', async () => {
    const tracker = new GatherTracker();
    const { id, result } = tracker.start(1000);
    tracker.reply(id, bytes('early'));
    tracker.expect(id, 1);
    assert.deepEqual(texts(await result), ['early']);
  });

  it('resolves at once when nobody can reply', async () => {
    const tracker = new GatherTracker();
    const { id, result } = tracker.start(1000);
    tracker.expect(id, 0);
    assert.deepEqual(await result, []);
  });

  it('resolves with what arrived when the timeout passes', async () => {
    const tracker = new GatherTracker();
    const { id, result } = tracker.start(1000);
    tracker.expect(id, 2);
    tracker.reply(id, bytes('only'));
    clock.tick(999);
    assert.equal(tracker.size, 1);
    clock.tick(1);
    assert.deepEqual(texts(await result), ['only']);
    tracker.reply(id, bytes('late'));
    assert.equal(tracker.size, 0);
  });

  it('rejects with GREGOR_ERR_ABORTED when the signal aborts, and on an aborted signal', async () => {
    const tracker = new GatherTracker();
    const controller = new AbortController();
    const { result } = tracker.start(1000, controller.signal);
    controller.abort();
    await assert.rejects(result, { code: 'GREGOR_ERR_ABORTED' });
    assert.throws(() => tracker.start(1000, controller.signal), { code: 'GREGOR_ERR_ABORTED' });
  });

  it('rejects a timeout that is not a positive number', () => {
    const tracker = new GatherTracker();
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => tracker.start(timeoutMs), { code: 'GREGOR_ERR_INPUT_INVALID' });
    }
  });

  it('refuses more pending queries than its bound', async () => {
    const tracker = new GatherTracker(2);
    const first = tracker.start(1000);
    const second = tracker.start(1000);
    assert.notEqual(first.id, second.id);
    assert.throws(() => tracker.start(1000), { code: 'GREGOR_ERR_OVERLOADED' });
    clock.tick(1000);
    await Promise.all([first.result, second.result]);
  });

  it('fails every pending query on failAll and clears their timers', async () => {
    const tracker = new GatherTracker();
    const queries = [tracker.start(1000), tracker.start(1000)];
    tracker.failAll(new Error('closing'));
    for (const { result } of queries) await assert.rejects(result, /closing/);
    assert.equal(clock.countTimers(), 0);
  });
});
