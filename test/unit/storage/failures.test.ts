import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StorageError } from '../../../packages/client/src/errors.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { MAX_ID_BYTES, openSqlEngine } from '../../../packages/server/src/storage/index.js';
import { uniqueName } from '../../helpers/services.js';
import { C, filled, M, T0, U } from './messages.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_DIALECTS,
  STORAGE_SKIPS,
} from './storage-places.js';

describe('openSqlEngine options and URLs', () => {
  it('rejects a URL of no known database with GREGOR_ERR_CONFIG_INVALID', async () => {
    await assert.rejects(openSqlEngine('oracle://db/x'), { code: 'GREGOR_ERR_CONFIG_INVALID' });
    await assert.rejects(openSqlEngine('sqlite:'), { code: 'GREGOR_ERR_CONFIG_INVALID' });
  });

  it('names the option that is bad, unknown or for another database', async () => {
    await assert.rejects(openSqlEngine('sqlite::memory:', { poolSize: 0 }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /poolSize/,
    });
    await assert.rejects(openSqlEngine('sqlite::memory:', { tablePrefix: 'x; DROP' }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /tablePrefix/,
    });
    await assert.rejects(openSqlEngine('sqlite::memory:', { frobnicate: 1 } as never), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /frobnicate/,
    });
    await assert.rejects(openSqlEngine('sqlite::memory:', { schema: 'gregor' }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /schema/,
    });
  });

  for (const url of ['postgres://postgres@127.0.0.1:1/test', 'mysql://root@127.0.0.1:1/test']) {
    it(`rejects an unreachable database (${url.split(':')[0]}) with GREGOR_ERR_STORAGE_MIGRATION and the driver error as cause`, async () => {
      const err = await openSqlEngine(url, { connectTimeoutMs: 2000 }).then(
        () => assert.fail('opened an unreachable database'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StorageError);
      assert.equal(err.code, 'GREGOR_ERR_STORAGE_MIGRATION');
      assert.ok(err.cause instanceof Error);
    });
  }
});

for (const dialect of STORAGE_DIALECTS) {
  describe(`SqlEngine failures on ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    const placeP = openStoragePlace(dialect, 'gregor_fail');
    after(async () => (await placeP).drop());

    it('fails a message the database rejects alone; the rest of its batch commits', async () => {
      const place = await placeP;
      const engine = await openEngineOn(place, { clock: new ManualClock(T0) });
      try {
        await engine.clear();
        // The schema stores IDs of at most MAX_ID_BYTES bytes; a longer msgID fails its INSERT.
        const bad = C(filled(7, MAX_ID_BYTES + 1) as never);
        const results = await Promise.allSettled([
          ...Array.from({ length: 20 }, (_, i) => engine.consumeMessage(C(M(300 + i)))),
          engine.consumeMessage(bad),
          ...Array.from({ length: 20 }, (_, i) => engine.consumeMessage(C(M(400 + i)))),
        ]);
        const rejected = results.flatMap((r, i) =>
          r.status === 'rejected' ? [[i, r.reason]] : [],
        );
        assert.equal(rejected.length, 1);
        const [index, reason] = rejected[0] as [number, unknown];
        assert.equal(index, 20);
        assert.ok(reason instanceof StorageError);
        assert.equal(reason.code, 'GREGOR_ERR_STORAGE_FAILED');
        assert.ok(reason.cause instanceof Error, 'the driver error rides along as cause');
        assert.equal((await engine.state(U(1), null, null)).items.length, 40);
        const [row] = await place.sql('SELECT COUNT(*) AS n FROM gregor_messages');
        assert.equal(Number(row?.n), 40);
      } finally {
        await engine.close();
      }
    });

    it('reports a failing query as GREGOR_ERR_STORAGE_FAILED and keeps serving the rest', async () => {
      const place = await placeP;
      const engine = await openEngineOn(place, { clock: new ManualClock(T0) });
      try {
        await engine.clear();
        await engine.consumeMessage(C(M(1)));
        await place.sql('DROP TABLE gregor_reminders');
        await assert.rejects(engine.reminders(0), (err: unknown) => {
          assert.ok(err instanceof StorageError);
          assert.equal(err.code, 'GREGOR_ERR_STORAGE_FAILED');
          assert.ok(err.cause instanceof Error);
          return true;
        });
        await engine.consumeMessage(C(M(2)));
        assert.equal((await engine.state(U(1), null, null)).items.length, 2);
      } finally {
        await engine.close();
      }
    });

    it('reports a logged message that no longer decodes as GREGOR_ERR_STORAGE_FAILED', async () => {
      const place = await placeP;
      const engine = await openEngineOn(place, { clock: new ManualClock(T0), tablePrefix: 'bad_' });
      try {
        await engine.consumeMessage(C(M(1)));
        // 0xc1 is the one byte msgpack never uses.
        await place.sql('UPDATE bad_messages SET body = ?', [Buffer.from([0xc1])]);
        await assert.rejects(engine.inBandMessagesSince(U(1), null, 0), {
          code: 'GREGOR_ERR_STORAGE_FAILED',
          name: 'StorageError',
        });
        assert.equal((await engine.state(U(1), null, null)).items.length, 1);
      } finally {
        await engine.close();
      }
    });

    if (dialect === 'sqlite') return;

    it('replaces connections the server killed, and the next calls succeed', async () => {
      const place = await placeP;
      const applicationName = uniqueName('gregor_kill');
      const backgroundErrors: unknown[] = [];
      const engine = await openSqlEngine(place.url, {
        ...place.options,
        clock: new ManualClock(T0),
        applicationName,
        tablePrefix: 'kill_',
        onBackgroundError: (err) => backgroundErrors.push(err),
      });
      try {
        await engine.consumeMessage(C(M(1)));
        await Promise.all([1, 2, 3].map(() => engine.state(U(1), null, null)));
        const killed =
          dialect === 'postgres'
            ? await place.sql(
                'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = ?',
                [applicationName],
              )
            : await killMysqlConnections(place.sql);
        assert.ok(killed.length >= 1, 'the engine had connections to kill');
        await engine.consumeMessage(C(M(2)));
        assert.equal((await engine.state(U(1), null, null)).items.length, 2);
        assert.equal((await engine.inBandMessagesSince(U(1), null, 0)).length, 2);
      } finally {
        await engine.close();
      }
    });
  });
}

/**
 * KILL every other connection to this test's database (its name is unique to the run, and only
 * the engine under test is open on it); resolves with their ids.
 */
async function killMysqlConnections(
  sql: (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>,
): Promise<Record<string, unknown>[]> {
  const ids = await sql(
    'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()',
  );
  for (const { id } of ids) await sql(`KILL ${Number(id)}`);
  return ids;
}
