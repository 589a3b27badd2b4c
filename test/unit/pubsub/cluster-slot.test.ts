import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  groupBySlot,
  SLOT_COUNT,
  slotOf,
  slotRanges,
} from '../../../packages/server/src/pubsub/cluster-slot.js';

describe('cluster slots', () => {
  it('hashes with CRC16/XMODEM modulo 16384 (the Redis Cluster specification example)', () => {
    // The specification gives CRC16("123456789") = 0x31C3.
    assert.equal(slotOf('123456789'), 0x31c3 % SLOT_COUNT);
  });

  it('hashes only a non-empty {hash tag}, the first one', () => {
    assert.equal(slotOf('{user1000}.following'), slotOf('user1000'));
    assert.equal(slotOf('{user1000}.followers'), slotOf('user1000'));
    assert.equal(slotOf('foo{bar}{zap}'), slotOf('bar'));
    assert.equal(slotOf('foo{{bar}}zap'), slotOf('{bar'));
    // An empty tag: the whole name.
    assert.notEqual(slotOf('foo{}{bar}'), slotOf('bar'));
    assert.equal(slotOf('no closing {brace'), slotOf('no closing {brace'));
  });

  it('groups channels by slot, keeping their order', () => {
    const channels = ['{a}1', 'x', '{a}2', '{a}3'];
    const groups = groupBySlot(channels);
    assert.deepEqual(groups.get(slotOf('a')), ['{a}1', '{a}2', '{a}3']);
    assert.deepEqual(groups.get(slotOf('x')), ['x']);
  });

  it('writes slot numbers as ranges', () => {
    assert.equal(slotRanges([3, 0, 1, 2, 7, 9, 10]), '0-3,7,9-10');
    assert.equal(slotRanges([]), '');
  });
});
