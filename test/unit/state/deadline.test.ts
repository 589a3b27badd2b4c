import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { withDeadline } from '../../../packages/client/src/state/internal.js';

describe('withDeadline', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.uninstall());

  it('settles like the promise and clears its timer', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), { timeoutMs: 100 }, 'op'), 7);
    await assert.rejects(
      withDeadline(Promise.reject(new Error('x')), { timeoutMs: 100 }, 'op'),
      /x/,
    );
    assert.equal(clock.countTimers(), 0);
  });

  it('rejects with GREGOR_ERR_TIMEOUT when the promise outlives the timeout', async () => {
    const waiting = withDeadline(new Promise(() => {}), { timeoutMs: 100 }, 'op');
    clock.tick(100);
    await assert.rejects(waiting, { code: 'GREGOR_ERR_TIMEOUT' });
  });

  it('rejects with GREGOR_ERR_ABORTED on abort, and at once on an aborted signal', async () => {
    const controller = new AbortController();
    const waiting = withDeadline(
      new Promise(() => {}),
      { timeoutMs: 100, signal: controller.signal },
      'op',
    );
    controller.abort();
    await assert.rejects(waiting, { code: 'GREGOR_ERR_ABORTED' });
    assert.equal(clock.countTimers(), 0);
    await assert.rejects(
      withDeadline(
        Promise.reject(new Error('late')),
        { timeoutMs: 100, signal: controller.signal },
        'op',
      ),
      { code: 'GREGOR_ERR_ABORTED' },
    );
  });
});
