// A statement that runs past the query timeout fails with GREGOR_ERR_TIMEOUT, and the dialect's
// pool goes on serving: on PostgreSQL the server cancels it (statement_timeout); on MySQL/MariaDB
// mysql2 gives up and the connection is dropped. A frozen server is covered end to end by
// test/integration/server-storage-deadlines.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dialect } from '../../../packages/server/src/storage/dialect.js';
import { openDialect } from '../../../packages/server/src/storage/open-dialect.js';
import { resolveSqlEngineOptions } from '../../../packages/server/src/storage/options.js';
import { openStoragePlace, STORAGE_SKIPS } from './storage-places.js';

const QUERY_TIMEOUT_MS = 300;
const SLEEP = { postgres: 'SELECT pg_sleep(5) AS slept', mysql: 'SELECT SLEEP(5) AS slept' };

for (const name of ['postgres', 'mysql'] as const) {
  describe(`${name} statement deadline`, { skip: STORAGE_SKIPS[name] ?? false }, () => {
    it('fails a statement past the query timeout with GREGOR_ERR_TIMEOUT, and keeps serving', async () => {
      const place = await openStoragePlace(name, 'gregor_stmt');
      const dialect: Dialect = await openDialect(
        place.url,
        resolveSqlEngineOptions({
          ...place.options,
          poolSize: 2,
          queryTimeoutMs: QUERY_TIMEOUT_MS,
        }),
      );
      try {
        const started = Date.now();
        await assert.rejects(
          dialect.read((s) => s.query(SLEEP[name])),
          { code: 'GREGOR_ERR_TIMEOUT', message: /statement took over 300 ms/ },
        );
        // Generous: the statement sleeps 5 s; giving up at the deadline (plus PostgreSQL's 1 s
        // grace, plus a loaded machine) is well below it.
        assert.ok(Date.now() - started < 4500, `gave up after ${Date.now() - started} ms`);
        await assert.rejects(
          dialect.transaction((s) => s.query(SLEEP[name])),
          { code: 'GREGOR_ERR_TIMEOUT' },
        );
        for (let i = 0; i < 3; i++) {
          const [row] = await dialect.read((s) => s.query('SELECT 1 AS one'));
          assert.equal(Number(row?.one), 1);
        }
      } finally {
        await dialect.close();
        await place.drop();
      }
    });
  });
}
