// The server cases 60–62: the remind protocol (SQL rules, lock duration L).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gregorError } from '../../packages/client/src/errors.js';
import { type Message, toHex } from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import { withOverrides } from './helpers/engine-faults.js';
import { creation, type Harness, id, mid, startServer, T0, U1, U2 } from './helpers/test-server.js';

const L = 10 * 60_000;

function remindAt(msg: number, time: number): Message {
  const m = creation(U1, msg);
  m.ibm!.stateUpdate!.creation!.remindTimes = [{ time, offset: 0 }];
  return m;
}

describe('gregord remind protocol', () => {
  let h: Harness;
  let clock: ManualClock;
  let deleted: string[];
  beforeEach(async () => {
    clock = new ManualClock(T0);
    deleted = [];
    const engine: StateMachine = withOverrides(
      new MemoryEngine({ clock, reminderLockDurationMs: L }),
      {
        deleteReminder: (real, rid, opts) => {
          if (rid.seqno === 99) return Promise.reject(gregorError('GREGOR_ERR_STORAGE_FAILED'));
          deleted.push(`${toHex(rid.msgID)}/${rid.seqno}`);
          return real(rid, opts);
        },
      },
    );
    h = await startServer({ stateMachine: engine });
  });
  afterEach(async () => {
    await h.close();
  });

  it('60: a due reminder is handed out, locked for L, and gone once deleted', async () => {
    const su = await h.superuser();
    await su.call('consumeMessage', { m: remindAt(1, T0 + 5000) });
    clock.set(T0 + 1000);
    const early = await su.call('getReminders', { maxReminders: 0 });
    assert.deepEqual(early, { reminders: [], moreRemindersReady: false });
    clock.set(T0 + 6000);
    const due = await su.call('getReminders', { maxReminders: 0 });
    assert.equal(due.reminders.length, 1);
    const [r] = due.reminders;
    assert.deepEqual(r!.item.md!.msgID, id(1));
    assert.equal(r!.seqno, 0);
    assert.equal(r!.remindTime, T0 + 5000);
    assert.equal(
      (await su.call('getReminders', { maxReminders: 0 })).reminders.length,
      0,
      'locked',
    );
    clock.set(T0 + 6000 + 5000 + L);
    assert.equal(
      (await su.call('getReminders', { maxReminders: 0 })).reminders.length,
      1,
      'lock expired',
    );
    await su.call('deleteReminders', { reminderIDs: [{ uid: U1, msgID: mid(1), seqno: 0 }] });
    clock.advance(L + 1000);
    assert.equal((await su.call('getReminders', { maxReminders: 0 })).reminders.length, 0);
  });

  it('61: the reminder of an item dismissed before its time is never handed out', async () => {
    const su = await h.superuser();
    await su.call('consumeMessage', { m: remindAt(1, T0 + 5000) });
    const dismiss: Message = {
      ibm: {
        stateUpdate: {
          md: { uid: U1, msgID: mid(2), ctime: 0, deviceID: null, inBandMsgType: 1 },
          dismissal: { msgIDs: [mid(1)], ranges: [] },
        },
      },
    };
    clock.set(T0 + 1000);
    await su.call('consumeMessage', { m: dismiss });
    clock.set(T0 + 6000);
    assert.equal((await su.call('getReminders', { maxReminders: 0 })).reminders.length, 0);
  });

  it('62: the remind protocol is superuser-only ("mismatched UIDs")', async () => {
    const u1 = await h.user(U1);
    await assert.rejects(u1.call('getReminders', { maxReminders: 10 }), /mismatched UIDs/);
    await assert.rejects(
      u1.call('deleteReminders', { reminderIDs: [{ uid: U1, msgID: mid(1), seqno: 0 }] }),
      /mismatched UIDs/,
    );
  });

  it('deleteReminders deletes in order and stops at the first failure', async () => {
    const su = await h.superuser();
    const reminderIDs = [
      { uid: U1, msgID: mid(1), seqno: 0 },
      { uid: U2, msgID: mid(2), seqno: 99 },
      { uid: U1, msgID: mid(3), seqno: 0 },
    ];
    await assert.rejects(su.call('deleteReminders', { reminderIDs }), {
      code: 'GREGOR_ERR_STORAGE_FAILED',
    });
    assert.deepEqual(deleted, [`${toHex(id(1))}/0`]);
  });

  it('a negative maxReminders is refused as bad input', async () => {
    const su = await h.superuser();
    await assert.rejects(su.call('getReminders', { maxReminders: -1 }), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
  });
});
