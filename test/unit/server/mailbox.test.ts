import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JobGroup, Mailbox } from '../../../packages/server/src/server/mailbox.js';

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

  describe('job groups', () => {
    /** A group that logs each run's items and answers each item with itself, or fails "bad". */
    function group(maxBatch: number, runs: string[][]): JobGroup<string, string, string> {
      return {
        maxBatch,
        run: async (_key, items) => {
          runs.push([...items]);
          return items.map((item) =>
            item === 'bad'
              ? { status: 'rejected', reason: new Error(item) }
              : { status: 'fulfilled', value: item },
          );
        },
      };
    }

    it('runs the jobs of a group waiting behind each other in one call, each with its own outcome', async () => {
      const box = new Mailbox<string>();
      const runs: string[][] = [];
      const g = group(10, runs);
      const held = gate();
      const first = box.run('u', () => held.promise);
      const jobs = ['a', 'bad', 'c'].map((item) => box.runGrouped('u', g, item));
      held.open();
      await first;
      const outcomes = await Promise.allSettled(jobs);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
        ['a', 'bad', 'c'],
      );
      assert.equal(outcomes[1]!.status, 'rejected');
      assert.deepEqual(runs, [['a', 'bad', 'c']]);
    });

    it('never takes a job past one of another kind, nor past maxBatch', async () => {
      const box = new Mailbox<string>();
      const runs: string[][] = [];
      const g = group(2, runs);
      const other = group(5, runs);
      const held = gate();
      const first = box.run('u', () => held.promise);
      const all: Promise<unknown>[] = [first];
      for (const item of ['a', 'b', 'c']) all.push(box.runGrouped('u', g, item));
      all.push(box.run('u', () => void runs.push(['plain'])));
      all.push(box.runGrouped('u', g, 'd'));
      all.push(box.runGrouped('u', other, 'x'));
      all.push(box.runGrouped('u', g, 'e'));
      // A job of the group on another key is not taken into this key's runs.
      all.push(box.runGrouped('v', g, 'v'));
      held.open();
      await Promise.all(all);
      assert.deepEqual(runs, [['v'], ['a', 'b'], ['c'], ['plain'], ['d'], ['x'], ['e']]);
      await box.whenIdle();
      assert.equal(box.activeKeys, 0);
      assert.equal(box.queued, 0);
    });

    it('lets the callers a run answered queue more before it takes the next run', async () => {
      const box = new Mailbox<string>();
      const runs: string[][] = [];
      const g = group(10, runs);
      const more: Promise<string>[] = [];
      const held = gate();
      const plain = box.run('u', () => held.promise);
      // Each answered caller sends one more at once, as a client at its bound of calls in flight.
      const first = ['a', 'b'].map((item) =>
        box.runGrouped('u', g, item).then((v) => {
          more.push(box.runGrouped('u', g, `${v}2`));
        }),
      );
      held.open();
      await Promise.all([plain, ...first]);
      await Promise.all(more);
      assert.deepEqual(runs, [
        ['a', 'b'],
        ['a2', 'b2'],
      ]);
    });

    it('fails every job of a run whose group call throws, and keeps going', async () => {
      const box = new Mailbox<string>();
      const broken: JobGroup<string, string, string> = {
        maxBatch: 4,
        run: () => {
          throw new Error('group broke');
        },
      };
      const held = gate();
      const first = box.run('u', () => held.promise);
      const jobs = ['a', 'b'].map((item) => box.runGrouped('u', broken, item));
      const after = box.run('u', () => 'after');
      held.open();
      await first;
      for (const job of jobs) await assert.rejects(job, /group broke/);
      assert.equal(await after, 'after');
    });
  });

  it('rejects a bad bound as a configuration error', () => {
    assert.throws(() => new Mailbox({ maxQueuedPerKey: 0 }), { code: 'GREGOR_ERR_CONFIG_INVALID' });
  });
});
