import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecord } from '../../../packages/client/src/protocol/internal.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import {
  LATEST_SCHEMA_VERSION,
  migrateSqlSchema,
  openSqlEngine,
} from '../../../packages/server/src/storage/index.js';
import { C, M, T0, U } from './messages.js';
import {
  openStoragePlace,
  STORAGE_DIALECTS,
  STORAGE_SKIPS,
  type StoragePlace,
} from './storage-places.js';

async function withPlace(
  dialect: (typeof STORAGE_DIALECTS)[number],
  fn: (p: StoragePlace) => Promise<void>,
): Promise<void> {
  const place = await openStoragePlace(dialect, 'gregor_mig');
  try {
    await fn(place);
  } finally {
    await place.drop();
  }
}

const versions = async (p: StoragePlace) =>
  (await p.sql('SELECT version FROM gregor_schema_version ORDER BY version')).map((r) =>
    Number(r.version),
  );
const ALL_VERSIONS = Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1);

for (const dialect of STORAGE_DIALECTS) {
  describe(`SQL schema migrations on ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    it('creates a fresh schema at the latest version; a second start changes nothing and keeps the rows', () =>
      withPlace(dialect, async (p) => {
        assert.deepEqual(await migrateSqlSchema(p.url, p.options), {
          fromVersion: 0,
          toVersion: LATEST_SCHEMA_VERSION,
        });
        const clock = new ManualClock(T0);
        const first = await openSqlEngine(p.url, { ...p.options, clock });
        await first.consumeMessage(C(M(1)));
        await first.close();
        assert.deepEqual(await migrateSqlSchema(p.url, p.options), {
          fromVersion: LATEST_SCHEMA_VERSION,
          toVersion: LATEST_SCHEMA_VERSION,
        });
        const second = await openSqlEngine(p.url, { ...p.options, clock });
        assert.equal((await second.state(U(1), null, null)).items.length, 1);
        await second.close();
        assert.deepEqual(await versions(p), ALL_VERSIONS);
      }));

    it('upgrades a version-1 database in place without losing its rows', () =>
      withPlace(dialect, async (p) => {
        assert.deepEqual(await migrateSqlSchema(p.url, { ...p.options, targetVersion: 1 }), {
          fromVersion: 0,
          toVersion: 1,
        });
        await assert.rejects(p.sql('SELECT COUNT(*) AS n FROM gregor_reminders'));
        // One item and its logged creation, written as a version-1 engine wrote them.
        const logged = C(M(1), 'a', 'x', { ctime: T0 }).ibm!;
        const uid = Buffer.from(U(1));
        const msgid = Buffer.from(M(1));
        await p.sql(
          'INSERT INTO gregor_items (uid, msgid, ctime, devid, category, body, dtime, dtime_offset, expire_at, dismissed) VALUES (?, ?, ?, NULL, ?, ?, 0, 0, ?, 0)',
          [uid, msgid, T0, Buffer.from('a'), Buffer.from('x'), Number.MAX_SAFE_INTEGER],
        );
        await p.sql(
          'INSERT INTO gregor_messages (uid, msgid, ctime, devid, has_item, item_dtime, item_dtime_offset, item_dismissed, body) VALUES (?, ?, ?, NULL, 1, 0, 0, 0, ?)',
          [uid, msgid, T0, Buffer.from(encodeRecord(logged))],
        );
        const clock = new ManualClock(T0 + 1000);
        const engine = await openSqlEngine(p.url, { ...p.options, clock });
        try {
          assert.deepEqual(await versions(p), ALL_VERSIONS);
          const state = await engine.state(U(1), null, null);
          assert.deepEqual(
            state.items.map((i) => i.md?.ctime),
            [T0],
          );
          assert.deepEqual(await engine.inBandMessagesSince(U(1), null, 0), [logged]);
          // The version-2 table works on the upgraded database.
          await engine.consumeMessage(C(M(2), 'a', 'y', { remind: [{ time: T0 + 1500 }] }));
          clock.set(T0 + 2000);
          assert.equal((await engine.reminders(0)).reminders.length, 1);
        } finally {
          await engine.close();
        }
      }));

    it('lets several instances start at once on an empty database', () =>
      withPlace(dialect, async (p) => {
        const clock = new ManualClock(T0);
        const engines = await Promise.all(
          [1, 2, 3].map(() => openSqlEngine(p.url, { ...p.options, clock, poolSize: 2 })),
        );
        try {
          assert.deepEqual(await versions(p), ALL_VERSIONS);
          await engines[0]!.consumeMessage(C(M(1)));
          assert.equal((await engines[2]!.state(U(1), null, null)).items.length, 1);
        } finally {
          await Promise.all(engines.map((e) => e.close()));
        }
      }));

    it('refuses a database whose schema is newer than this build', () =>
      withPlace(dialect, async (p) => {
        await migrateSqlSchema(p.url, p.options);
        await p.sql(
          "INSERT INTO gregor_schema_version (version, description, applied_at) VALUES (99, 'from the future', 0)",
        );
        await assert.rejects(openSqlEngine(p.url, p.options), {
          code: 'GREGOR_ERR_STORAGE_MIGRATION',
          message: /version 99/,
        });
      }));

    it('keeps engines with different table prefixes apart in one database', () =>
      withPlace(dialect, async (p) => {
        const clock = new ManualClock(T0);
        const a = await openSqlEngine(p.url, { ...p.options, clock, tablePrefix: 'one_' });
        const b = await openSqlEngine(p.url, { ...p.options, clock, tablePrefix: 'two_' });
        try {
          await a.consumeMessage(C(M(1)));
          assert.equal((await a.state(U(1), null, null)).items.length, 1);
          assert.equal((await b.state(U(1), null, null)).items.length, 0);
        } finally {
          await a.close();
          await b.close();
        }
      }));
  });
}
