/**
 * Retention conformance (docs/data-model.md, "Retention"): one suite, run unchanged against every
 * engine (memory, SQLite, PostgreSQL, MySQL/MariaDB) through the StateMachine interface and its
 * RetentionStore, with a ManualClock for every time. It checks that a sweep deletes exactly the
 * rows the rule names (counts, and which msgIDs are still logged), that no state at or after the
 * horizon changes and no sync from at or after it either, that batches are bounded, and the
 * sweep lease.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  Message,
  MsgID,
  State,
  TimeOrOffset,
  UID,
} from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  type Retainable,
  type RetentionCounts,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import { C, idName, M, R, S, T0, U, X } from '../unit/storage/messages.js';

/** An engine with its retention side. */
export type RetainingEngine = StateMachine & Retainable;

const SEC = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The retention of every case. */
const KEEP = 30 * DAY;
/** When the sweeps run. */
const NOW = T0 + 31 * DAY;
/** The horizon at NOW. */
const H = NOW - KEEP;
const LEASE = 60 * SEC;
const U1 = U(1);
const U2 = U(2);

/** Sweep to the end as `owner`, `maxRows` a batch; resolves with the batches' deletions. */
async function sweep(
  e: RetainingEngine,
  horizon: number,
  maxRows = 500,
  owner = 'test',
): Promise<RetentionCounts[]> {
  const lease = await e.retention.claimSweep(owner, { leaseMs: LEASE, minIntervalMs: 0 });
  assert.ok(lease, 'the lease is free');
  let cursor = lease.cursor;
  const batches: RetentionCounts[] = [];
  for (let i = 0; i < 10_000; i++) {
    const batch = await e.retention.sweepBatch(owner, { cursor, horizon, maxRows, leaseMs: LEASE });
    assert.ok(batch, 'the lease is still held');
    batches.push(batch.deleted);
    if (batch.done) return batches;
    cursor = batch.cursor;
  }
  throw new Error('the sweep did not end');
}

function total(batches: readonly RetentionCounts[]): RetentionCounts {
  return batches.reduce(
    (a, b) => ({
      items: a.items + b.items,
      messages: a.messages + b.messages,
      reminders: a.reminders + b.reminders,
    }),
    { items: 0, messages: 0, reminders: 0 },
  );
}

async function consumeAt(e: StateMachine, clock: ManualClock, at: number, ...msgs: Message[]) {
  clock.set(at);
  for (const m of msgs) await e.consumeMessage(m);
}

/** Which of `ids` of `uid` are still logged: a stateSync with a logged msgID is a duplicate. */
async function stillLogged(e: StateMachine, uid: UID, ids: readonly number[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of ids) {
    const { isDuplicate } = await e.consume(S(M(n), { uid }));
    if (isDuplicate) out.push(`M${n}`);
  }
  return out;
}

const at = (time: number): TimeOrOffset => ({ time, offset: 0 });
const ids = (
  msgs: { stateUpdate?: { md: { msgID: MsgID } }; stateSync?: { md: { msgID: MsgID } } }[],
) => msgs.map((m) => idName((m.stateUpdate?.md ?? m.stateSync?.md)!.msgID));

/**
 * The scenario of the first cases, for U1 and U2; see the comments for what each row is and
 * whether it outlives a sweep at NOW (horizon H = T0 + 1 day).
 */
async function scenario(e: StateMachine, clock: ManualClock): Promise<void> {
  await consumeAt(
    e,
    clock,
    T0,
    C(M(1)), // live, never expires: stays, whatever its age
    C(M(2)), // dismissed by M3: goes, with M3
    C(M(4), 'a', 'x', { dtime: { time: T0 + DAY } }), // expired exactly at H: goes
    C(M(5), 'a', 'x', { dtime: { offset: 40 * DAY } }), // expires after NOW: stays
    C(M(7), 'a', 'x', {
      dtime: { time: T0 + 12 * HOUR },
      remind: [at(T0 + HOUR), at(T0 + 2 * HOUR)],
    }), // expired before H: goes, with its 2 reminders
    S(M(8)), // a stateSync before H: goes
    C(M(10), 'old'), // dismissed by the range M9: goes, with M9
    C(M(12), 'a', 'x', { dtime: { offset: DAY + 1 } }), // expired after H (dead at NOW): stays
    C(M(20), 'a', 'x', { uid: U2 }), // live: stays
  );
  await consumeAt(e, clock, T0 + SEC, X(M(3), [M(2)]));
  await consumeAt(e, clock, T0 + 2 * SEC, R(M(9), [{ category: 'old' }]));
  await consumeAt(e, clock, H, S(M(11))); // logged exactly at H: stays
  await consumeAt(e, clock, T0 + 25 * DAY, C(M(21), 'a', 'x', { uid: U2 })); // dead but recent: stays
  await consumeAt(e, clock, NOW, X(M(22), [M(21)], { uid: U2 }));
}

/** Every read retention must leave as it was: states at and after H, syncs from H on. */
async function reads(e: StateMachine): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const uid of [U1, U2]) {
    const states: State[] = [
      await e.state(uid, null, null),
      await e.state(uid, null, at(H)),
      await e.state(uid, null, at(NOW)),
    ];
    out.push(states, await e.inBandMessagesSince(uid, null, H));
  }
  return out;
}

/** Options of `runRetentionSuite`. */
export interface RetentionSuiteOptions {
  /** Skip every case with this reason (a database unreachable outside CI). */
  skip?: string;
}

/** Run the retention suite against the engines `makeEngine` builds (fresh engine per case). */
export function runRetentionSuite(
  name: string,
  makeEngine: (clock: ManualClock) => Promise<RetainingEngine>,
  opts: RetentionSuiteOptions = {},
): void {
  const test = (title: string, body: (e: RetainingEngine, clock: ManualClock) => Promise<void>) =>
    it(title, { timeout: 120_000 }, async () => {
      const clock = new ManualClock(T0);
      const e = await makeEngine(clock);
      try {
        await body(e, clock);
      } finally {
        await e.close();
      }
    });

  describe(`Retention conformance: ${name}`, { skip: opts.skip ?? false }, () => {
    test('a sweep deletes exactly the rows past the horizon, with their items and reminders', async (e, clock) => {
      await scenario(e, clock);
      const before = await e.retention.countRows();
      const readsBefore = await reads(e);
      clock.set(NOW);
      assert.deepEqual(total(await sweep(e, H)), { items: 4, messages: 7, reminders: 2 });
      assert.deepEqual(await reads(e), readsBefore, 'states at and after H, and syncs from H');
      if (!before.estimated) {
        assert.deepEqual(await e.retention.countRows(), {
          items: before.items - 4,
          messages: before.messages - 7,
          reminders: before.reminders - 2,
          estimated: false,
        });
      }
      // A sync from before H: the retained log only (M12 is expired now, so not replayed).
      assert.deepEqual(ids(await e.inBandMessagesSince(U1, null, 0)), ['M1', 'M5', 'M11']);
      assert.deepEqual(await stillLogged(e, U1, [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]), [
        'M1',
        'M5',
        'M11',
        'M12',
      ]);
      assert.deepEqual(await stillLogged(e, U2, [20, 21, 22]), ['M20', 'M21', 'M22']);
    });

    test('a second sweep finds nothing more; a later horizon takes what has aged since', async (e, clock) => {
      await scenario(e, clock);
      clock.set(NOW);
      await sweep(e, H);
      assert.deepEqual(total(await sweep(e, H)), { items: 0, messages: 0, reminders: 0 });
      // 25 days on (horizon T0 + 26 days): M12 (expired at T0 + 1 day + 1 ms), the stateSync M11,
      // and U2's M21 (dismissed, created at T0 + 25 days); M22 was logged after the horizon.
      clock.set(NOW + 25 * DAY);
      const later = NOW + 25 * DAY - KEEP;
      assert.deepEqual(total(await sweep(e, later)), { items: 2, messages: 3, reminders: 0 });
      assert.deepEqual(await stillLogged(e, U2, [20, 21, 22]), ['M20', 'M22']);
      // Live items stay whatever their age, with their creations; M5 has expired since (kept:
      // after the horizon), so a sync no longer replays it.
      assert.deepEqual(ids(await e.inBandMessagesSince(U1, null, 0)), ['M1']);
      assert.deepEqual(await stillLogged(e, U1, [1, 5, 11, 12]), ['M1', 'M5']);
    });

    test('a msgID is idempotent while its log row lasts: a resent creation of a deleted row is new', async (e, clock) => {
      await scenario(e, clock);
      clock.set(NOW);
      await sweep(e, H);
      assert.equal((await e.consume(C(M(1)))).isDuplicate, true, 'a live item: still a duplicate');
      const resent = await e.consume(C(M(2)));
      assert.equal(resent.isDuplicate, false, "M2's rows are gone: the resend is a new item");
      assert.ok(ids(await e.inBandMessagesSince(U1, null, NOW)).includes('M2'));
    });

    test('batches delete at most maxRows items plus messages each, and the sweep walks every user', async (e, clock) => {
      // 60 users (more than one batch looks at), each with a stateSync before H; U1 with 30 items
      // dismissed by one range, and one live item.
      clock.set(T0);
      for (let n = 1; n <= 60; n++) await e.consumeMessage(S(M(200), { uid: U(n) }));
      for (let n = 0; n < 30; n++) await e.consumeMessage(C(M(300 + n), 'old'));
      await e.consumeMessage(C(M(1)));
      await consumeAt(e, clock, T0 + SEC, R(M(2), [{ category: 'old' }]));
      clock.set(NOW);
      const state = await e.state(U1, null, null);
      const batches = await sweep(e, H, 5);
      for (const b of batches)
        assert.ok(b.items + b.messages <= 5, `a batch deleted ${b.items + b.messages}`);
      assert.ok(batches.length >= (60 + 30 * 2 + 1) / 5, `${batches.length} batches`);
      assert.deepEqual(total(batches), { items: 30, messages: 60 + 30 + 1, reminders: 0 });
      assert.deepEqual(await e.state(U1, null, null), state);
      for (const n of [1, 30, 60]) assert.deepEqual(await stillLogged(e, U(n), [200]), []);
    });

    test('one owner at a time holds the sweep lease; a stalled one loses it to the next', async (e, clock) => {
      clock.set(T0);
      for (let n = 1; n <= 60; n++) await e.consumeMessage(S(M(200), { uid: U(n) }));
      clock.set(NOW);
      const claim = (owner: string, minIntervalMs = 0) =>
        e.retention.claimSweep(owner, { leaseMs: LEASE, minIntervalMs });
      const batch = (owner: string, cursor: UID | null) =>
        e.retention.sweepBatch(owner, { cursor, horizon: H, maxRows: 500, leaseMs: LEASE });
      const a = await claim('A');
      assert.deepEqual(a, { cursor: null });
      assert.equal(await claim('B'), null, 'A holds it');
      assert.equal(await batch('B', null), null, 'B deletes nothing without the lease');
      const first = await batch('A', null);
      assert.ok(first !== null && !first.done && first.cursor !== null);
      assert.equal(first.deleted.messages, 50, 'one batch looks at 50 users');
      clock.advance(LEASE + 1);
      assert.deepEqual(await claim('B'), { cursor: first.cursor }, 'B resumes where A stopped');
      assert.equal(await batch('A', first.cursor), null, 'A lost it');
      const last = await batch('B', first.cursor);
      assert.ok(last?.done);
      assert.equal(last.deleted.messages, 10);
      assert.deepEqual(await e.retention.sweepStatus(), { lastCompletedAt: clock.now() });
      assert.equal(await claim('A', HOUR), null, 'no sweep is due within the interval');
      clock.advance(HOUR);
      assert.deepEqual(await claim('A', HOUR), { cursor: null });
      await e.retention.releaseSweep('A');
      assert.deepEqual(await claim('B', HOUR), { cursor: null }, 'a released lease is free');
    });

    test("an expired lease that nobody took since is still its holder's", async (e, clock) => {
      clock.set(T0);
      await e.consumeMessage(S(M(200)));
      clock.set(NOW);
      assert.ok(await e.retention.claimSweep('A', { leaseMs: LEASE, minIntervalMs: 0 }));
      clock.advance(LEASE + 1);
      const batch = await e.retention.sweepBatch('A', {
        cursor: null,
        horizon: H,
        maxRows: 500,
        leaseMs: LEASE,
      });
      assert.deepEqual(batch?.deleted, { items: 0, messages: 1, reminders: 0 });
    });

    test('a sweep that stops half-way is resumed from its cursor after a release', async (e, clock) => {
      clock.set(T0);
      for (let n = 1; n <= 60; n++) await e.consumeMessage(S(M(200), { uid: U(n) }));
      clock.set(NOW);
      await e.retention.claimSweep('A', { leaseMs: LEASE, minIntervalMs: 0 });
      const first = await e.retention.sweepBatch('A', {
        cursor: null,
        horizon: H,
        maxRows: 500,
        leaseMs: LEASE,
      });
      await e.retention.releaseSweep('A');
      assert.deepEqual(await e.retention.claimSweep('B', { leaseMs: LEASE, minIntervalMs: DAY }), {
        cursor: first?.cursor,
      });
      assert.deepEqual(total(await sweep(e, H, 500, 'B')), {
        items: 0,
        messages: 10,
        reminders: 0,
      });
    });
  });
}
