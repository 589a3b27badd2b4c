import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InBandMessage, MsgID, UID } from '../../../packages/client/src/protocol/index.js';
import {
  filterFutureDismissals,
  LoggedCTimes,
  sortSince,
} from '../../../packages/client/src/state/internal.js';

const T = 1_700_000_000_123;
const M = (n: number) => new Uint8Array(16).fill(n) as MsgID;
const U1 = new Uint8Array(16).fill(1) as UID;
const md = (n: number) => ({ uid: U1, msgID: M(n), ctime: 0, deviceID: null, inBandMsgType: 1 });
const creation = { category: 'c', dtime: { time: 0, offset: 0 }, remindTimes: [], body: null };

const byIDs = (n: number, ids: number[]): InBandMessage => ({
  stateUpdate: { md: md(n), dismissal: { msgIDs: ids.map(M), ranges: [] } },
});
const created = (n: number): InBandMessage => ({ stateUpdate: { md: md(n), creation } });
const idOf = (m: InBandMessage) => (m.stateUpdate ?? m.stateSync)!.md.msgID[0];

describe('sortSince', () => {
  it('orders by ctime and keeps arrival order among equal ctimes', () => {
    const logged = [
      { msg: created(1), ctime: T + 5 },
      { msg: created(2), ctime: T },
      { msg: created(3), ctime: T + 5 },
      { msg: created(4), ctime: T },
    ];
    assert.deepEqual(
      sortSince(logged).map((e) => idOf(e.msg)),
      [2, 4, 1, 3],
    );
    assert.deepEqual(
      logged.map((e) => idOf(e.msg)),
      [1, 2, 3, 4],
    );
  });
});

describe('filterFutureDismissals', () => {
  const all = new LoggedCTimes();
  all.add(M(1), T - 1);
  all.add(M(2), T);
  all.add(M(3), T + 1);
  const keep = (m: InBandMessage) => filterFutureDismissals([m], all, T).length === 1;

  it('keeps creations, syncs and range dismissals', () => {
    assert.equal(keep(created(3)), true);
    assert.equal(keep({ stateSync: { md: md(3) } }), true);
    const range = { category: 'c', endTime: { time: 0, offset: 0 }, skipMsgIDs: [] };
    assert.equal(
      keep({ stateUpdate: { md: md(9), dismissal: { msgIDs: [M(3)], ranges: [range] } } }),
      true,
    );
  });
  it('keeps a dismissal with a target logged at or before since, or unknown', () => {
    assert.equal(keep(byIDs(9, [1])), true);
    assert.equal(keep(byIDs(9, [2])), true);
    assert.equal(keep(byIDs(9, [3, 7])), true);
  });
  it('drops a dismissal whose every target was logged after since', () => {
    assert.equal(keep(byIDs(9, [3])), false);
    assert.equal(keep(byIDs(9, [])), false);
  });
  it('keeps a creation that also dismisses a newer item (UpdateItem, case 19)', () => {
    const updateItem: InBandMessage = {
      stateUpdate: { md: md(9), creation, dismissal: { msgIDs: [M(3)], ranges: [] } },
    };
    assert.equal(keep(updateItem), true);
  });
  it('finds a msgID by its bytes, and one added after a look-up', () => {
    const logged = new LoggedCTimes();
    logged.add(M(1), T);
    assert.equal(logged.get(new Uint8Array(16).fill(1) as MsgID), T);
    assert.equal(logged.get(M(2)), undefined);
    logged.add(M(2), T + 1);
    assert.equal(logged.get(M(2)), T + 1);
  });
  it('preserves the order of what it keeps', () => {
    const out = filterFutureDismissals([byIDs(5, [1]), byIDs(6, [3]), created(7)], all, T);
    assert.deepEqual(out.map(idOf), [5, 7]);
  });
});
