import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceID, InBandMessage } from '../../../packages/client/src/protocol/index.js';
import {
  containsMsgID,
  dismissalHitsItem,
  exportItem,
  isForDevice,
  isItemDismissedAt,
  isItemInState,
  isMessageForDevice,
  rangeMatchesItem,
} from '../../../packages/client/src/state/internal.js';
import { bytes16 as bytes, D1, D2, itemRecord, M, T, U1, ZERO_TIME } from './fixtures.js';

const item = itemRecord;
const zero = ZERO_TIME;

describe('isItemDismissedAt', () => {
  it('hides a dismissed item at any time, even before its ctime', () => {
    assert.equal(isItemDismissedAt(item({ dismissed: true }), T - 10_000), true);
  });
  it('hides an item from its absolute expiry on, inclusive', () => {
    const it3 = item({ dtime: { time: T + 3000, offset: 0 } });
    assert.equal(isItemDismissedAt(it3, T + 2999), false);
    assert.equal(isItemDismissedAt(it3, T + 3000), true);
  });
  it('hides an item from ctime + offset on, inclusive', () => {
    const it3 = item({ dtime: { time: 0, offset: 3000 } });
    assert.equal(isItemDismissedAt(it3, T + 2999), false);
    assert.equal(isItemDismissedAt(it3, T + 3000), true);
  });
  it('never hides an item without dtime or dismissal', () => {
    assert.equal(isItemDismissedAt(item(), Number.MAX_SAFE_INTEGER), false);
  });
});

describe('isForDevice and isMessageForDevice', () => {
  it('lets a null query see everything and a global item be seen by every device', () => {
    assert.equal(isForDevice(D1, null), true);
    assert.equal(isForDevice(null, D1), true);
    assert.equal(isForDevice(D1, bytes(0x0d) as DeviceID), true);
    assert.equal(isForDevice(D1, D2), false);
  });
  it('filters only stateUpdates, by md.deviceID', () => {
    const md = { uid: U1, msgID: M(1), ctime: 0, deviceID: D1, inBandMsgType: 1 };
    const update: InBandMessage = { stateUpdate: { md } };
    const sync: InBandMessage = { stateSync: { md } };
    assert.equal(isMessageForDevice(update, D2), false);
    assert.equal(isMessageForDevice(update, D1), true);
    assert.equal(isMessageForDevice(sync, D2), true);
  });
});

describe('isItemInState', () => {
  it('applies device, then ctime ≤ T, then visibility at T (or now)', () => {
    const devItem = item({ deviceID: D1 });
    assert.equal(isItemInState(devItem, D2, null, T), false);
    assert.equal(isItemInState(devItem, D1, T - 1, T), false);
    assert.equal(isItemInState(devItem, D1, T, T), true);
    const expiring = item({ dtime: { time: T + 10, offset: 0 } });
    assert.equal(isItemInState(expiring, null, T + 5, T + 20), true);
    assert.equal(isItemInState(expiring, null, null, T + 20), false);
  });
});

describe('rangeMatchesItem and dismissalHitsItem', () => {
  const range = (over: object = {}) => ({ category: 'c', endTime: zero, skipMsgIDs: [], ...over });
  it('matches the exact category only', () => {
    assert.equal(rangeMatchesItem(range(), item({ category: 'c' }), T), true);
    assert.equal(rangeMatchesItem(range(), item({ category: 'cc' }), T), false);
    assert.equal(rangeMatchesItem(range({ category: '' }), item({ category: 'c' }), T), false);
  });
  it('compares ctime ≤ the resolved endTime, inclusive, with zero meaning the dismissal time', () => {
    assert.equal(rangeMatchesItem(range(), item({ ctime: T }), T), true);
    assert.equal(rangeMatchesItem(range(), item({ ctime: T + 1 }), T), false);
    const end = range({ endTime: { time: T - 1, offset: 0 } });
    assert.equal(rangeMatchesItem(end, item({ ctime: T - 1 }), T + 99), true);
    assert.equal(rangeMatchesItem(end, item({ ctime: T }), T + 99), false);
    const offset = range({ endTime: { time: 0, offset: -100 } });
    assert.equal(rangeMatchesItem(offset, item({ ctime: T - 100 }), T), true);
    assert.equal(rangeMatchesItem(offset, item({ ctime: T - 99 }), T), false);
  });
  it('skips the msgIDs listed in that range only', () => {
    const skipping = range({ skipMsgIDs: [M(1)] });
    assert.equal(rangeMatchesItem(skipping, item(), T), false);
    const d = { msgIDs: [], ranges: [skipping, range()] };
    assert.equal(dismissalHitsItem(d, item(), T), true);
    assert.equal(dismissalHitsItem({ msgIDs: [], ranges: [skipping] }, item(), T), false);
  });
  it('hits by ID regardless of category and time', () => {
    const d = { msgIDs: [M(9), M(1)], ranges: [] };
    assert.equal(dismissalHitsItem(d, item({ category: 'z', ctime: T + 1e6 }), T), true);
    assert.equal(dismissalHitsItem({ msgIDs: [M(9)], ranges: [] }, item(), T), false);
    assert.equal(containsMsgID([M(2), M(1)], M(1)), true);
    assert.equal(containsMsgID([], M(1)), false);
  });
});

describe('exportItem', () => {
  it('builds the MakeItem shape: type 1, no remindTimes, only an absolute dtime', () => {
    const exported = exportItem(item({ deviceID: D1, dtime: { time: T + 5, offset: 7 } }));
    assert.deepEqual(exported, {
      md: { uid: U1, msgID: M(1), ctime: T, deviceID: D1, inBandMsgType: 1 },
      item: {
        category: 'c',
        dtime: { time: T + 5, offset: 0 },
        remindTimes: [],
        body: new Uint8Array([1]),
      },
    });
    assert.deepEqual(exportItem(item({ dtime: { time: 0, offset: 3000 } })).item?.dtime, zero);
  });
});
