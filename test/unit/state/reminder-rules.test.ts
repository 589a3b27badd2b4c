import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareReminders,
  exportReminder,
  type ItemRecord,
  isReminderDue,
  MAX_REMINDERS_PER_CALL,
  pickDueReminders,
  type ReminderRecord,
  reminderIDOf,
  reminderLimit,
  reminderSlots,
} from '../../../packages/client/src/state/internal.js';
import { itemRecord, M, T, U1, U2 } from './fixtures.js';

const LOCK = 60_000;
const item = (over: Partial<ItemRecord> = {}) => itemRecord({ body: null, ...over });

function rem(rtime: number, over: Partial<ReminderRecord> = {}): ReminderRecord {
  return { item: item(), seqno: 0, rtime, lockTime: null, ...over };
}

describe('reminderSlots', () => {
  it('resolves each set entry against the item ctime and keeps the index as seqno', () => {
    const slots = reminderSlots(T, [
      { time: T + 5, offset: 0 },
      { time: 0, offset: 0 },
      { time: 0, offset: -10 },
    ]);
    assert.deepEqual(slots, [
      { seqno: 0, rtime: T + 5 },
      { seqno: 2, rtime: T - 10 },
    ]);
  });
});

describe('reminderLimit', () => {
  it('maps 0 and anything above 1000 to 1000', () => {
    assert.equal(reminderLimit(0), MAX_REMINDERS_PER_CALL);
    assert.equal(reminderLimit(1001), 1000);
    assert.equal(reminderLimit(1000), 1000);
    assert.equal(reminderLimit(1), 1);
  });
  it('rejects a negative or fractional max', () => {
    assert.throws(() => reminderLimit(-1), { code: 'GREGOR_ERR_INPUT_INVALID' });
    assert.throws(() => reminderLimit(1.5), { code: 'GREGOR_ERR_INPUT_INVALID' });
    assert.throws(() => reminderLimit(Number.NaN), { code: 'GREGOR_ERR_INPUT_INVALID' });
  });
});

describe('isReminderDue', () => {
  it('is due from rtime on, inclusive', () => {
    assert.equal(isReminderDue(rem(T + 10), T + 9, LOCK), false);
    assert.equal(isReminderDue(rem(T + 10), T + 10, LOCK), true);
  });
  it('is not due for a dismissed or expired item, but is for a future expiry', () => {
    assert.equal(isReminderDue(rem(T, { item: item({ dismissed: true }) }), T, LOCK), false);
    const expiring = item({ dtime: { time: T + 5, offset: 0 } });
    assert.equal(isReminderDue(rem(T, { item: expiring }), T + 4, LOCK), true);
    assert.equal(isReminderDue(rem(T, { item: expiring }), T + 5, LOCK), false);
  });
  it('stays locked until the lock is lockDuration old, inclusive', () => {
    const locked = rem(T, { lockTime: T + 100 });
    assert.equal(isReminderDue(locked, T + 100 + LOCK - 1, LOCK), false);
    assert.equal(isReminderDue(locked, T + 100 + LOCK, LOCK), true);
  });
});

describe('compareReminders and pickDueReminders', () => {
  it('orders by rtime, then uid, msgID and seqno bytes', () => {
    const list = [
      rem(T + 1, { seqno: 1 }),
      rem(T + 1, { item: item({ uid: U2 }) }),
      rem(T),
      rem(T + 1, { item: item({ msgID: M(0) }) }),
      rem(T + 1),
    ];
    const sorted = [...list].sort(compareReminders);
    assert.deepEqual(sorted, [list[2], list[3], list[4], list[0], list[1]]);
  });
  it('returns at most the limit, oldest first, and says when more were due', () => {
    const list = [rem(T + 3), rem(T + 1), rem(T + 2), rem(T + 99)];
    const { picked, moreRemindersReady } = pickDueReminders(list, 2, T + 10, LOCK);
    assert.deepEqual(
      picked.map((r) => r.rtime),
      [T + 1, T + 2],
    );
    assert.equal(moreRemindersReady, true);
    const rest = pickDueReminders(list, 3, T + 10, LOCK);
    assert.equal(rest.picked.length, 3);
    assert.equal(rest.moreRemindersReady, false);
  });
});

describe('exportReminder and reminderIDOf', () => {
  it('exports the item as a state does and names the reminder by uid, msgID, seqno', () => {
    const r = rem(T + 7, { seqno: 3 });
    const wire = exportReminder(r);
    assert.equal(wire.remindTime, T + 7);
    assert.equal(wire.seqno, 3);
    assert.deepEqual(wire.item.item?.remindTimes, []);
    assert.deepEqual(reminderIDOf(r), { uid: U1, msgID: M(1), seqno: 3 });
  });
});
