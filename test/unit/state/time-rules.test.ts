import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  creationCTime,
  dismissalTime,
  isAtOrAfterSince,
  isZeroTimeOrOffset,
  itemExpiry,
  ManualClock,
  resolveQueryTime,
  resolveRangeEndTime,
  resolveTimeOrOffset,
} from '../../../packages/client/src/state/internal.js';

const T = 1_700_000_000_123;
const at = (time: number, offset = 0) => ({ time, offset });

describe('resolveTimeOrOffset', () => {
  it('returns the absolute time when set, even with an offset', () => {
    assert.equal(resolveTimeOrOffset(at(T + 5), T), T + 5);
    assert.equal(resolveTimeOrOffset(at(T + 5, 1000), T), T + 5);
  });
  it('adds a positive or negative offset to the base', () => {
    assert.equal(resolveTimeOrOffset(at(0, 1500), T), T + 1500);
    assert.equal(resolveTimeOrOffset(at(0, -1500), T), T - 1500);
  });
  it('returns null for the unset value', () => {
    assert.equal(resolveTimeOrOffset(at(0, 0), T), null);
    assert.equal(isZeroTimeOrOffset(at(0, 0)), true);
    assert.equal(isZeroTimeOrOffset(at(0, 1)), false);
    assert.equal(isZeroTimeOrOffset(at(1, 0)), false);
  });
});

describe('resolveQueryTime', () => {
  it('is null (no ctime filter) for a null query', () => {
    assert.equal(resolveQueryTime(null, T), null);
  });
  it('is now for the zero TimeOrOffset, now+offset for an offset, the time for a time', () => {
    assert.equal(resolveQueryTime(at(0), T), T);
    assert.equal(resolveQueryTime(at(0, -10), T), T - 10);
    assert.equal(resolveQueryTime(at(T - 99), T), T - 99);
  });
});

describe('creationCTime and dismissalTime', () => {
  it('use md.ctime when set, trusting a future one', () => {
    assert.equal(creationCTime({ ctime: T + 60_000 }, T), T + 60_000);
    assert.equal(dismissalTime({ ctime: T - 1 }, T), T - 1);
  });
  it('use now when md.ctime is 0', () => {
    assert.equal(creationCTime({ ctime: 0 }, T), T);
    assert.equal(dismissalTime({ ctime: 0 }, T), T);
  });
});

describe('resolveRangeEndTime', () => {
  it('means the dismissal time when unset', () => {
    assert.equal(resolveRangeEndTime(at(0), T), T);
  });
  it('counts an offset from the dismissal time, and keeps an absolute time', () => {
    assert.equal(resolveRangeEndTime(at(0, -1500), T), T - 1500);
    assert.equal(resolveRangeEndTime(at(T - 7), T + 100), T - 7);
  });
});

describe('itemExpiry', () => {
  it('is the absolute dtime, or ctime + offset, or null', () => {
    assert.equal(itemExpiry({ ctime: T, dtime: at(T + 3000) }), T + 3000);
    assert.equal(itemExpiry({ ctime: T - 2000, dtime: at(0, 3000) }), T + 1000);
    assert.equal(itemExpiry({ ctime: T, dtime: at(0) }), null);
  });
});

describe('isAtOrAfterSince', () => {
  it('includes a ctime equal to since and excludes one before', () => {
    assert.equal(isAtOrAfterSince(T, T), true);
    assert.equal(isAtOrAfterSince(T + 1, T), true);
    assert.equal(isAtOrAfterSince(T - 1, T), false);
  });
});

describe('ManualClock', () => {
  it('moves only when set or advanced', () => {
    const clock = new ManualClock(T);
    assert.equal(clock.now(), T);
    clock.advance(999);
    assert.equal(clock.now(), T + 999);
    clock.set(T - 1);
    assert.equal(clock.now(), T - 1);
  });
});
