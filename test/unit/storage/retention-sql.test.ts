/**
 * Retention on the SQL engine, looked at behind the engine's back (the conformance suite checks
 * the same rule through the engine's interface on every engine): the exact rows left in each
 * table, the invariant that every item keeps its creation in the log, two engines (two instances)
 * on one database sharing the sweep lease, consumes going on during a sweep, and the row counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { toHex } from '../../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { RetentionJob } from '../../../packages/server/src/server/index.js';
import type { SqlEngine } from '../../../packages/server/src/storage/index.js';
import { C, M, R, S, T0, U, X } from './messages.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_DIALECTS,
  STORAGE_SKIPS,
  type StoragePlace,
} from './storage-places.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEEP = 30 * DAY;
const NOW = T0 + 31 * DAY;
const silent = pino({ level: 'silent' });

/** `table`'s rows as `U<n>/M<n>` (and `/seqno` for reminders), sorted. */
async function keys(place: StoragePlace, table: string, withSeqno = false): Promise<string[]> {
  const rows = await place.sql(
    `SELECT uid, msgid${withSeqno ? ', seqno' : ''} FROM gregor_${table}`,
  );
  return rows
    .map((r) => {
      const name = (b: unknown) => `${toHex(b as Uint8Array).slice(0, 2)}`;
      const key = `U${Number.parseInt(name(r.uid), 16)}/M${Number.parseInt(name(r.msgid), 16)}`;
      return withSeqno ? `${key}/${r.seqno}` : key;
    })
    .sort();
}

function job(engine: SqlEngine, owner: string, batchRows = 500): RetentionJob {
  return new RetentionJob({
    store: engine.retention,
    clock: engine.clock,
    logger: silent,
    retentionMs: KEEP,
    batchRows,
    owner,
  });
}

for (const dialect of STORAGE_DIALECTS) {
  describe(`retention on ${dialect}, row by row`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    let place: StoragePlace;
    let clock: ManualClock;
    let a: SqlEngine;
    let b: SqlEngine;
    before(async () => {
      place = await openStoragePlace(dialect, 'gregor_ret');
      clock = new ManualClock(T0);
      a = await openEngineOn(place, { clock });
      b = await openEngineOn(place, { clock });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await place?.drop();
    });

    it('leaves exactly the live items, the recent rows and their creations; every item keeps its creation', async () => {
      await a.clear();
      clock.set(T0);
      for (const m of [
        C(M(1)),
        C(M(2), 'a', 'x', { remind: [{ time: T0 + HOUR }] }),
        C(M(4), 'a', 'x', { dtime: { time: T0 + HOUR }, remind: [{ time: T0 + HOUR }] }),
        C(M(5), 'old'),
        S(M(6)),
        C(M(1), 'a', 'x', { uid: U(2) }),
      ]) {
        await a.consumeMessage(m);
      }
      clock.set(T0 + 1000);
      await a.consumeMessage(X(M(3), [M(2)]));
      await a.consumeMessage(R(M(7), [{ category: 'old' }]));
      clock.set(T0 + 2 * DAY);
      await a.consumeMessage(C(M(8)));
      await a.consumeMessage(X(M(9), [M(8)]));
      clock.set(NOW);
      const run = await job(a, 'a').runOnce();
      assert.deepEqual(run.deleted, { items: 3, messages: 6, reminders: 1 });
      assert.deepEqual(await keys(place, 'messages'), ['U1/M1', 'U1/M8', 'U1/M9', 'U2/M1']);
      assert.deepEqual(await keys(place, 'items'), ['U1/M1', 'U1/M8', 'U2/M1']);
      assert.deepEqual(await keys(place, 'reminders', true), []);
      const creations = await place.sql(
        'SELECT COUNT(*) AS n FROM gregor_items i WHERE NOT EXISTS (SELECT 1 FROM gregor_messages m WHERE m.uid = i.uid AND m.msgid = i.msgid AND m.has_item = 1)',
      );
      assert.equal(Number(creations[0]?.n), 0, 'every item has its creation in the log');
    });

    it('two instances on one database: one sweeps, the other finds the lease taken or no sweep due', async () => {
      await a.clear();
      clock.set(T0);
      for (let n = 1; n <= 120; n++) await b.consumeMessage(S(M(n), { uid: U(n) }));
      clock.set(NOW);
      const runs = await Promise.all([job(a, 'a', 7).runOnce(), job(b, 'b', 7).runOnce()]);
      assert.deepEqual(
        runs.map((r) => r.claimed).sort(),
        [false, true],
        'exactly one instance held the lease',
      );
      const winner = runs.find((r) => r.claimed)!;
      assert.equal(winner.done, true);
      assert.equal(winner.deleted.messages, 120);
      assert.ok(winner.batches >= 120 / 7, `${winner.batches} batches of at most 7 rows`);
      assert.deepEqual(await keys(place, 'messages'), []);
    });

    it('consumes of the users being swept go on and land', async () => {
      await a.clear();
      clock.set(T0);
      for (let n = 0; n < 40; n++) await a.consumeMessage(S(M(n), { uid: U(1 + (n % 4)) }));
      clock.set(NOW);
      const sweeping = job(b, 'b', 2).runOnce();
      const consumes = Array.from({ length: 40 }, (_, n) =>
        a.consumeMessage(C(M(100 + n), 'a', 'x', { uid: U(1 + (n % 4)) })),
      );
      const [run] = await Promise.all([sweeping, ...consumes]);
      assert.equal(run.deleted.messages, 40);
      for (let u = 1; u <= 4; u++) assert.equal((await a.state(U(u), null, null)).items.length, 10);
    });

    it('counts rows per table: exactly on SQLite, from the statistics elsewhere', async () => {
      const counts = await a.retention.countRows();
      assert.equal(counts.estimated, dialect !== 'sqlite');
      if (dialect === 'sqlite') {
        assert.deepEqual(counts, { items: 40, messages: 40, reminders: 0, estimated: false });
      }
      for (const n of [counts.items, counts.messages, counts.reminders]) {
        assert.ok(Number.isInteger(n) && n >= 0);
      }
      assert.deepEqual(await a.retention.sweepStatus(), { lastCompletedAt: NOW });
    });
  });
}
