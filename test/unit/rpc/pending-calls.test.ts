import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { gregorError } from '../../../packages/client/src/errors.js';
import { PendingCalls } from '../../../packages/client/src/rpc/pending-calls.js';

describe('PendingCalls', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.uninstall());

  const noAbandon = () => assert.fail('nothing should be abandoned');

  it('numbers calls from 1 and wraps past maxSeq, skipping seqnos still pending', async () => {
    const table = new PendingCalls(10, 1000, noAbandon, 4);
    const first = [1, 2, 3].map(() => table.add('m'));
    assert.deepEqual(
      first.map((c) => c.seq),
      [1, 2, 3],
    );
    table.settle(1, null, 'one');
    table.settle(3, null, 'three');
    // 4, then wrap to 1; 2 is still pending and is skipped; then 3.
    const later = [table.add('m'), table.add('m'), table.add('m')];
    assert.deepEqual(
      later.map((c) => c.seq),
      [4, 1, 3],
    );
    assert.equal(await first[0]!.result, 'one');
    table.rejectAll(gregorError('GREGOR_ERR_CLOSED'));
    const outcomes = await Promise.allSettled([first[1]!, ...later].map((c) => c.result));
    assert.deepEqual(
      outcomes.map((o) => o.status === 'rejected' && (o.reason as { code: string }).code),
      Array(4).fill('GREGOR_ERR_CLOSED'),
    );
  });

  it('rejects a call past maxPendingCalls before numbering it', () => {
    const table = new PendingCalls(2, 1000, noAbandon);
    table.add('m').result.catch(() => {});
    table.add('m').result.catch(() => {});
    assert.throws(() => table.add('m'), { code: 'GREGOR_ERR_RPC_TOO_MANY_PENDING' });
    assert.equal(table.size, 2);
    table.rejectAll(gregorError('GREGOR_ERR_CLOSED'));
    assert.equal(table.size, 0);
  });

  it('times a call out with its own or the default timeout, and reports it abandoned', async () => {
    const abandoned: [number, string][] = [];
    const table = new PendingCalls(10, 1000, (seq, method) => abandoned.push([seq, method]));
    const short = table.add('a.short', { timeoutMs: 10 });
    const long = table.add('a.long');
    clock.tick(10);
    await assert.rejects(short.result, { code: 'GREGOR_ERR_TIMEOUT' });
    assert.deepEqual(abandoned, [[1, 'a.short']]);
    clock.tick(989);
    assert.equal(table.size, 1);
    clock.tick(1);
    await assert.rejects(long.result, { code: 'GREGOR_ERR_TIMEOUT' });
    assert.equal(table.size, 0);
    assert.equal(clock.countTimers(), 0);
  });

  it('aborts a call on its signal, and refuses an already aborted signal', async () => {
    const abandoned: number[] = [];
    const table = new PendingCalls(10, 1000, (seq) => abandoned.push(seq));
    const controller = new AbortController();
    const call = table.add('m', { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await assert.rejects(call.result, { code: 'GREGOR_ERR_ABORTED' });
    assert.deepEqual(abandoned, [1]);
    assert.throws(() => table.add('m', { signal: controller.signal }), {
      code: 'GREGOR_ERR_ABORTED',
    });
    assert.equal(clock.countTimers(), 0);
  });

  it('ignores a response to an unknown or already settled seqno', async () => {
    const table = new PendingCalls(10, 1000, noAbandon);
    const call = table.add('m');
    assert.equal(table.settle(99, null, 'x'), false);
    assert.equal(table.settle(call.seq, gregorError('GREGOR_ERR_REMOTE', 'no'), null), true);
    assert.equal(table.settle(call.seq, null, 'late'), false);
    await assert.rejects(call.result, { code: 'GREGOR_ERR_REMOTE', message: 'no' });
  });

  it('removes its abort listener and timer once settled', async () => {
    const table = new PendingCalls(10, 1000, noAbandon);
    const controller = new AbortController();
    const call = table.add('m', { signal: controller.signal });
    table.settle(call.seq, null, 'ok');
    assert.equal(await call.result, 'ok');
    assert.equal(clock.countTimers(), 0);
    controller.abort();
  });

  it('refuses a timeout that is not a usable delay', () => {
    const table = new PendingCalls(10, 1000, noAbandon);
    for (const timeoutMs of [0, -1, 1.5, Number.POSITIVE_INFINITY, 2 ** 31]) {
      assert.throws(() => table.add('m', { timeoutMs }), { code: 'GREGOR_ERR_CONFIG_INVALID' });
    }
  });
});
