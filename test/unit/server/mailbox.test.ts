import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mailbox } from '../../../packages/server/src/server/mailbox.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('Mailbox', () => {
  it('runs the jobs of one key one at a time, in order', async () => {
    const box = new Mailbox<string>();
    const log: string[] = [];
    let running = 0;
    const jobs = [30, 0, 10, 0, 5].map((delayMs, i) =>
      box.run('u', async () => {
        running++;
        assert.equal(running, 1);
        log.push(`start ${i}`);
        await new Promise((r) => setTimeout(r, delayMs));
        log.push(`end ${i}`);
        running--;
        return i;
      }),
    );
    assert.deepEqual(await Promise.all(jobs), [0, 1, 2, 3, 4]);
    assert.deepEqual(
      log,
      [0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]),
    );
  });

  it('runs different keys concurrently', async () => {
    const box = new Mailbox<string>();
    const a = gate();
    const first = box.run('a', () => a.promise);
    const second = await box.run('b', () => 'b done');
    assert.equal(second, 'b done');
    a.open();
    await first;
  });

  it('passes a rejection to its caller and keeps going', async () => {
    const box = new Mailbox<string>();
    const failed = box.run('u', () => {
      throw new Error('boom');
    });
    const next = box.run('u', () => 'after');
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'after');
  });

  it('rejects a bounded job with GREGOR_ERR_OVERLOADED past the bound, without running it', async () => {
    const box = new Mailbox<string>({ maxQueuedPerKey: 2 });
    const g = gate();
    const running = box.run('u', () => g.promise);
    const q1 = box.run('u', () => 1);
    const q2 = box.run('u', () => 2);
    let ran = false;
    await assert.rejects(
      box.run('u', () => {
        ran = true;
      }),
      { code: 'GREGOR_ERR_OVERLOADED' },
    );
    assert.equal(box.depth('u'), 2);
    // Another key is not affected by this key's bound.
    assert.equal(await box.run('v', () => 'v'), 'v');
    g.open();
    await running;
    assert.deepEqual(await Promise.all([q1, q2]), [1, 2]);
    assert.equal(ran, false);
  });

  it('queues an unbounded job past the bound, in order', async () => {
    const box = new Mailbox<string>({ maxQueuedPerKey: 1 });
    const g = gate();
    const order: number[] = [];
    const running = box.run('u', () => g.promise);
    const q1 = box.run('u', () => order.push(1));
    const control = box.run('u', () => order.push(2), { bounded: false });
    g.open();
    await Promise.all([running, q1, control]);
    assert.deepEqual(order, [1, 2]);
  });

  it('forgets a key once its lane is empty, and reports idle', async () => {
    const box = new Mailbox<string>();
    const g = gate();
    const job = box.run('u', () => g.promise);
    box.run('u', () => undefined).catch(() => undefined);
    assert.equal(box.activeKeys, 1);
    assert.equal(box.queued, 1);
    assert.equal(box.running, 1);
    let idle = false;
    const whenIdle = box.whenIdle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    assert.equal(idle, false);
    g.open();
    await job;
    await whenIdle;
    assert.equal(box.activeKeys, 0);
    assert.equal(box.queued, 0);
    assert.equal(box.running, 0);
    assert.equal(box.depth('u'), 0);
  });

  it('keeps order over a long-running lane that never runs dry', async () => {
    const box = new Mailbox<number>({ maxQueuedPerKey: 5000 });
    const seen: number[] = [];
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 4000; i++) all.push(box.run(1, () => seen.push(i)));
    await Promise.all(all);
    assert.equal(seen.length, 4000);
    assert.ok(seen.every((v, i) => v === i));
    assert.equal(box.activeKeys, 0);
  });

  it('rejects a bad bound as a configuration error', () => {
    assert.throws(() => new Mailbox({ maxQueuedPerKey: 0 }), { code: 'GREGOR_ERR_CONFIG_INVALID' });
  });
});
