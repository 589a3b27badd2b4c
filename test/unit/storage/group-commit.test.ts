import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GroupCommitWriter,
  type Outcome,
} from '../../../packages/server/src/storage/group-commit.js';

/** A commit step the test releases by hand, recording each batch it was given. */
function gatedCommit() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const commit = async (jobs: number[]): Promise<Outcome<string>[]> => {
    batches.push(jobs);
    await new Promise<void>((release) => gates.push(release));
    return jobs.map((j) =>
      j < 0 ? { ok: false, error: new Error(`job ${j} failed`) } : { ok: true, value: `done ${j}` },
    );
  };
  /** Let the oldest waiting commit finish. */
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, commit, release };
}

const LIMITS = { maxBatch: 100, maxQueued: 1000 };

describe('GroupCommitWriter', () => {
  it('puts the jobs submitted while a commit runs into the next transaction together', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, LIMITS);
    const first = w.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4, 5].map((j) => w.submit(j));
    await c.release();
    await c.release();
    assert.deepEqual(await Promise.all([first, ...later]), [
      'done 1',
      'done 2',
      'done 3',
      'done 4',
      'done 5',
    ]);
    assert.deepEqual(c.batches, [[1], [2, 3, 4, 5]]);
  });

  it('bounds a transaction at maxBatch and keeps call order across batches', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, { maxBatch: 4, maxQueued: 1000 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => w.submit(i)));
    for (let i = 0; i < 3; i++) await c.release();
    await all;
    assert.deepEqual(c.batches, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('fails only the job whose outcome failed', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, LIMITS);
    const results = [1, -2, 3].map((j) => w.submit(j));
    await c.release();
    assert.equal(await results[0], 'done 1');
    await assert.rejects(results[1]!, /job -2 failed/);
    assert.equal(await results[2], 'done 3');
  });

  it('rejects every job of a batch whose commit throws, and keeps serving later ones', async () => {
    let calls = 0;
    const w = new GroupCommitWriter<number, number>(async (jobs) => {
      calls++;
      if (calls === 1) throw new Error('database gone');
      return jobs.map((j) => ({ ok: true, value: j * 10 }));
    }, LIMITS);
    const failed = [1, 2].map((j) => w.submit(j));
    await assert.rejects(failed[0]!, /database gone/);
    await assert.rejects(failed[1]!, /database gone/);
    assert.equal(await w.submit(3), 30);
  });

  it('refuses a job with GREGOR_ERR_OVERLOADED once maxQueued jobs wait', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, { maxBatch: 1, maxQueued: 2 });
    const running = w.submit(1);
    await new Promise((r) => setImmediate(r));
    const queued = [w.submit(2), w.submit(3)];
    await assert.rejects(w.submit(4), { code: 'GREGOR_ERR_OVERLOADED' });
    for (let i = 0; i < 3; i++) await c.release();
    assert.deepEqual(await Promise.all([running, ...queued]), ['done 1', 'done 2', 'done 3']);
  });

  it('drops a waiting job when its signal aborts or its timeout passes, not a committing one', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, LIMITS);
    const committing = new AbortController();
    const first = w.submit(1, { signal: committing.signal });
    await new Promise((r) => setImmediate(r));
    const waiting = new AbortController();
    const aborted = w.submit(2, { signal: waiting.signal });
    const timedOut = w.submit(3, { timeoutMs: 1 });
    const kept = w.submit(4);
    committing.abort();
    waiting.abort();
    await assert.rejects(aborted, { code: 'GREGOR_ERR_ABORTED' });
    await assert.rejects(timedOut, { code: 'GREGOR_ERR_TIMEOUT' });
    await c.release();
    await c.release();
    assert.equal(await first, 'done 1');
    assert.equal(await kept, 'done 4');
    assert.deepEqual(c.batches, [[1], [4]]);
    await assert.rejects(w.submit(5, { signal: AbortSignal.abort() }), {
      code: 'GREGOR_ERR_ABORTED',
    });
  });

  it('answers a committing job with GREGOR_ERR_TIMEOUT at its deadline, and commits later jobs only after it', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, LIMITS);
    const stuck = w.submit(1, { timeoutMs: 20 });
    await new Promise((r) => setImmediate(r));
    const later = w.submit(2);
    await assert.rejects(stuck, {
      code: 'GREGOR_ERR_TIMEOUT',
      message: /not committed within 20 ms/,
    });
    assert.deepEqual(c.batches, [[1]], 'the next batch waits for the stuck transaction');
    await c.release();
    await c.release();
    assert.equal(await later, 'done 2');
    assert.deepEqual(c.batches, [[1], [2]]);
  });

  it('runs an exclusive job alone, after the jobs before it and before the jobs after it', async () => {
    const order: string[] = [];
    const w = new GroupCommitWriter<number, number>(async (jobs) => {
      order.push(`batch ${jobs.join(',')}`);
      return jobs.map((j) => ({ ok: true, value: j }));
    }, LIMITS);
    const done = Promise.all([
      w.submit(1),
      w.submit(2),
      w.exclusive(async () => {
        order.push('exclusive');
      }),
      w.submit(3),
    ]);
    await done;
    assert.deepEqual(order, ['batch 1,2', 'exclusive', 'batch 3']);
  });

  it('idle() resolves once everything queued has committed', async () => {
    const c = gatedCommit();
    const w = new GroupCommitWriter(c.commit, LIMITS);
    let settled = false;
    const job = w.submit(1).then(() => {
      settled = true;
    });
    const idle = w.idle();
    await c.release();
    await idle;
    assert.equal(settled, true);
    await job;
    await w.idle();
  });
});
