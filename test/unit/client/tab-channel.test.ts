// The tab channel over Node's BroadcastChannel (the same standard API as a browser's): requests
// reach the holder and come back answered or refused with their typed error, a request left
// unanswered by a holder is sent again to the next one, and a tab that becomes the holder runs its
// own pending requests.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { TabChannel } from '../../../packages/client/src/client/tab-channel.js';
import { gregorError, isGregorError } from '../../../packages/client/src/errors.js';

let n = 0;
const open: TabChannel[] = [];

/** `count` tabs on a channel of their own. */
function tabs(count: number): TabChannel[] {
  const name = `tab-channel-test-${n++}`;
  const out = Array.from({ length: count }, () => new TabChannel(name));
  open.push(...out);
  return out;
}

afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

describe('TabChannel', () => {
  it('sends a request to the holder and returns its answer; a refusal keeps its code', async () => {
    const [holder, follower] = tabs(2) as [TabChannel, TabChannel];
    holder.serve(async (op, args) => {
      if (op === 'fail') throw gregorError('GREGOR_ERR_INPUT_INVALID', 'no');
      return { op, args };
    });
    assert.deepEqual(await follower.request('echo', [1, 2]), { op: 'echo', args: [1, 2] });
    await assert.rejects(follower.request('fail', null), (err) => {
      assert.ok(isGregorError(err, 'GREGOR_ERR_INPUT_INVALID'));
      assert.equal(err.message, 'no');
      return true;
    });
    assert.equal(follower.pendingCount, 0);
  });

  it('sends an unanswered request again to the next holder, which answers it once', async () => {
    const [first, second, follower] = tabs(3) as [TabChannel, TabChannel, TabChannel];
    const seenByFirst: unknown[] = [];
    first.serve(async (_op, args) => {
      seenByFirst.push(args);
      return new Promise(() => undefined); // a holder that dies before answering
    });
    const answer = follower.request('write', 'm1');
    while (seenByFirst.length === 0) await new Promise((r) => setTimeout(r, 5));
    first.stopServing();
    let runs = 0;
    second.serve(async (_op, args) => {
      runs++;
      return `stored ${args}`;
    });
    assert.equal(await answer, 'stored m1');
    assert.equal(runs, 1);
    assert.equal(follower.pendingCount, 0);
  });

  it('runs its own pending requests itself when it becomes the holder', async () => {
    const [tab] = tabs(1) as [TabChannel];
    const answer = tab.request('write', 'mine');
    tab.serve(async (_op, args) => `here ${args}`);
    assert.equal(await answer, 'here mine');
  });

  it('stops waiting when the signal aborts, and rejects pending requests at close', async () => {
    const [tab] = tabs(1) as [TabChannel];
    const giveUp = new AbortController();
    const aborted = tab.request('write', 'x', giveUp.signal);
    giveUp.abort(gregorError('GREGOR_ERR_ABORTED', 'stop'));
    await assert.rejects(aborted, (err) => isGregorError(err, 'GREGOR_ERR_ABORTED'));
    assert.equal(tab.pendingCount, 0);
    const closed = tab.request('write', 'y');
    tab.close();
    await assert.rejects(closed, (err) => isGregorError(err, 'GREGOR_ERR_CLOSED'));
  });
});
