import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusStream } from '../../../packages/client/src/client/internal.js';

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('StatusStream', () => {
  it('yields the current value, then each pushed one, and ends after the final one', async () => {
    const stream = new StatusStream('a');
    const it = stream.iterate();
    stream.push('b');
    stream.push('c', true);
    const seen: string[] = [];
    for await (const v of it) seen.push(v);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(stream.subscriberCount, 0);
  });

  it('wakes a reader that waits for the next value', async () => {
    const stream = new StatusStream(0);
    const it = stream.iterate();
    await it.next();
    const next = it.next();
    stream.push(1);
    assert.deepEqual(await next, { value: 1, done: false });
  });

  it('keeps only the newest values for a reader that falls behind', async () => {
    const stream = new StatusStream(0, 3);
    const it = stream.iterate();
    for (let v = 1; v <= 10; v++) stream.push(v);
    stream.push(11, true);
    assert.deepEqual(await take(it, 20), [9, 10, 11]);
  });

  it('return() unsubscribes and ends a pending next()', async () => {
    const stream = new StatusStream('x');
    const it = stream.iterate();
    await it.next();
    const pending = it.next();
    assert.equal(stream.subscriberCount, 1);
    await it.return?.();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(stream.subscriberCount, 0);
  });

  it('after the end, a new iterator yields the final value only; later pushes are ignored', async () => {
    const stream = new StatusStream('open');
    stream.push('closed', true);
    stream.push('late');
    assert.equal(stream.current, 'closed');
    assert.deepEqual(await take(stream.iterate(), 5), ['closed']);
    assert.equal(stream.subscriberCount, 0);
  });
});
