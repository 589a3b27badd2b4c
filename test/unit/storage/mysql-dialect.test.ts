// The MySQL dialect: every pooled session is set up strict and READ COMMITTED, and migrations work
// with the MySQL 8 index syntax. MySQL 8 has no CREATE INDEX IF NOT EXISTS and its DDL is not
// transactional, so a step interrupted after its indexes were made runs again on the next start.
// MariaDB accepts the MySQL 8 spelling too, so that path is exercised by forcing it here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MysqlDialect } from '../../../packages/server/src/storage/dialect-mysql.js';
import { migrate } from '../../../packages/server/src/storage/migrate.js';
import { LATEST_SCHEMA_VERSION, tableNames } from '../../../packages/server/src/storage/schema.js';
import { openStoragePlace, STORAGE_SKIPS } from './storage-places.js';

describe('the MySQL dialect', { skip: STORAGE_SKIPS.mysql ?? false }, () => {
  it('sets every pooled session strict and READ COMMITTED, without a background error', async () => {
    const place = await openStoragePlace('mysql', 'gregor_mysess');
    const errors: unknown[] = [];
    const dialect = new MysqlDialect({
      url: place.url,
      schemaLockName: 'gregor_mysess',
      schemaLockTimeoutSeconds: 5,
      poolSize: 2,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 5000,
      applicationName: 'gregor-test',
      onBackgroundError: (err) => errors.push(err),
    });
    try {
      const [row] = await dialect.read((s) =>
        s.query('SELECT @@SESSION.tx_isolation AS iso, @@SESSION.sql_mode AS mode'),
      );
      assert.equal(row?.iso, 'READ-COMMITTED');
      assert.match(String(row?.mode), /STRICT_ALL_TABLES/);
      assert.deepEqual(errors, []);
    } finally {
      await dialect.close();
      await place.drop();
    }
  });

  it('creates every index without IF NOT EXISTS, and re-runs a step whose indexes exist', async () => {
    const place = await openStoragePlace('mysql', 'gregor_my8');
    const backgroundErrors: unknown[] = [];
    const dialect = new MysqlDialect({
      url: place.url,
      schemaLockName: 'gregor_my8',
      schemaLockTimeoutSeconds: 5,
      poolSize: 2,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 5000,
      applicationName: 'gregor-test',
      onBackgroundError: (err) => backgroundErrors.push(err),
      indexIfNotExists: false,
    });
    const t = tableNames('gregor_');
    try {
      assert.equal(dialect.createIndexIfNotExists, false);
      const first = await migrate(dialect, t, { nowMs: 1 });
      assert.deepEqual(first, { fromVersion: 0, toVersion: LATEST_SCHEMA_VERSION });
      const indexes = await place.sql(
        'SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> ?',
        ['PRIMARY'],
      );
      assert.ok(indexes.length >= 4, `indexes made: ${JSON.stringify(indexes)}`);
      // As if the last step crashed after its DDL but before it was recorded.
      await place.sql(`DELETE FROM ${t.schemaVersion} WHERE version = ?`, [LATEST_SCHEMA_VERSION]);
      const again = await migrate(dialect, t, { nowMs: 2 });
      assert.deepEqual(again, {
        fromVersion: LATEST_SCHEMA_VERSION - 1,
        toVersion: LATEST_SCHEMA_VERSION,
      });
      // Only "Duplicate key name" is forgiven; any other DDL failure still fails the migration.
      const other = await dialect
        .transaction((s) => s.run('CREATE INDEX nope ON no_such_table (x)'))
        .then(
          () => assert.fail('CREATE INDEX on a missing table succeeded'),
          (err: unknown) => err,
        );
      assert.equal(dialect.isDuplicateIndexError(other), false);
      assert.deepEqual(backgroundErrors, []);
    } finally {
      await dialect.close();
      await place.drop();
    }
  });
});
