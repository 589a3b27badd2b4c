import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { toHex } from '../../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { openSqlEngine, type SqlEngine } from '../../../packages/server/src/storage/index.js';
import { C, M, T0 } from './messages.js';
import { openStoragePlace, STORAGE_DIALECTS, STORAGE_SKIPS } from './storage-places.js';

const REMINDERS = 300;
const LOCK_MS = 60_000;

/** Pull batches of `max` until a pull comes back empty; returns every reminder key seen. */
async function drain(engine: SqlEngine, max: number): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const set = await engine.reminders(max);
    if (set.reminders.length === 0) return seen;
    for (const r of set.reminders) seen.push(`${toHex(r.item.md!.msgID)}/${r.seqno}`);
  }
}

for (const dialect of STORAGE_DIALECTS) {
  describe(`SqlEngine reminders on ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    const placeP = openStoragePlace(dialect, 'gregor_rem');
    after(async () => (await placeP).drop());

    it('never hands the same reminder to two engines pulling from one database at once', async () => {
      const place = await placeP;
      const clock = new ManualClock(T0);
      const options = { ...place.options, clock, reminderLockDurationMs: LOCK_MS, poolSize: 3 };
      const a = await openSqlEngine(place.url, options);
      const b = await openSqlEngine(place.url, options);
      try {
        await Promise.all(
          Array.from({ length: REMINDERS }, (_, i) =>
            a.consumeMessage(C(M(1000 + i), 'a', 'x', { remind: [{ time: T0 + 100 + (i % 7) }] })),
          ),
        );
        clock.set(T0 + 1000);
        const [fromA, fromB, fromA2, fromB2] = await Promise.all([
          drain(a, 7),
          drain(b, 11),
          drain(a, 5),
          drain(b, 3),
        ]);
        const all = [...fromA, ...fromB, ...fromA2, ...fromB2];
        assert.equal(new Set(all).size, all.length, 'no reminder was handed out twice');
        assert.equal(all.length, REMINDERS, 'every due reminder was handed out');
        // Locked for the lock duration, then handed out again (at-least-once delivery).
        assert.deepEqual(await b.reminders(0), { reminders: [], moreRemindersReady: false });
        clock.advance(LOCK_MS);
        const again = await a.reminders(0);
        assert.equal(again.reminders.length, REMINDERS);
        assert.equal(again.moreRemindersReady, false);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
