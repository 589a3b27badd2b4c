import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isPastHorizon,
  type PruneCandidate,
  planPruneBatch,
} from '../../../packages/client/src/state/internal.js';

const H = 1_000_000;
const never = { time: 0, offset: 0 };

describe('isPastHorizon', () => {
  it('takes what was logged before the horizon and created no item, or an item dead at it', () => {
    const item = (o: Partial<{ dismissed: boolean; dtime: typeof never }> = {}) => ({
      ctime: H - 10,
      dtime: never,
      dismissed: false,
      ...o,
    });
    assert.equal(isPastHorizon({ ctime: H - 1, item: null }, H), true);
    assert.equal(isPastHorizon({ ctime: H, item: null }, H), false, 'at the horizon: kept');
    assert.equal(isPastHorizon({ ctime: H - 10, item: item() }, H), false, 'a live item: kept');
    assert.equal(isPastHorizon({ ctime: H - 10, item: item({ dismissed: true }) }, H), true);
    const expiresAt = (time: number) => item({ dtime: { time, offset: 0 } });
    assert.equal(isPastHorizon({ ctime: H - 10, item: expiresAt(H) }, H), true, 'expired at H');
    assert.equal(isPastHorizon({ ctime: H - 10, item: expiresAt(H + 1) }, H), false);
    const offset = item({ dtime: { time: 0, offset: 10 } });
    assert.equal(isPastHorizon({ ctime: H - 10, item: offset }, H), true, 'ctime + offset = H');
  });
});

describe('planPruneBatch', () => {
  const c = (user: string, hasItem = false): PruneCandidate => ({ user, hasItem });

  it('takes everything that fits and moves past every user when the list was complete', () => {
    const plan = planPruneBatch(['a', 'b', 'c'], [c('a'), c('b', true)], false, 10);
    assert.deepEqual([plan.take.length, plan.rows, plan.lastDone], [2, 3, 2]);
  });

  it('stops before a row that does not fit, and stays before the user it cut', () => {
    const plan = planPruneBatch(['a', 'b', 'c'], [c('a', true), c('b', true), c('b')], false, 3);
    assert.deepEqual([plan.take.length, plan.rows, plan.lastDone], [1, 2, 0]);
  });

  it('treats the last listed user of a cut list as not done', () => {
    const plan = planPruneBatch(['a', 'b', 'c'], [c('a'), c('b')], true, 2);
    assert.deepEqual([plan.take.length, plan.lastDone], [2, 0]);
  });

  it('always takes the first row, so a batch never stalls', () => {
    const plan = planPruneBatch(['a'], [c('a', true)], false, 1);
    assert.deepEqual([plan.take.length, plan.rows, plan.lastDone], [1, 2, 0]);
  });
});
