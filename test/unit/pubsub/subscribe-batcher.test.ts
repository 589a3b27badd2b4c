import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscribeBatcher } from '../../../packages/server/src/pubsub/subscribe-batcher.js';

describe('SubscribeBatcher', () => {
  it('sends the channels added within one tick as one batch, and later ones as the next', async () => {
    const sent: string[][] = [];
    const batcher = new SubscribeBatcher(async (channels) => {
      sent.push(channels);
    });
    const first = [batcher.add('a'), batcher.add('b'), batcher.add('c')];
    assert.deepEqual(sent, [], 'nothing is sent synchronously');
    await Promise.all(first);
    await batcher.add('d');
    assert.deepEqual(sent, [['a', 'b', 'c'], ['d']]);
  });

  it('resolves each caller only once its batch has been answered', async () => {
    let answer: () => void = () => undefined;
    const batcher = new SubscribeBatcher(
      () =>
        new Promise<void>((resolve) => {
          answer = resolve;
        }),
    );
    let isDone = false;
    const pending = batcher.add('a').then(() => {
      isDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(isDone, false);
    answer();
    await pending;
    assert.equal(isDone, true);
  });
});
