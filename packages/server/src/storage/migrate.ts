/**
 * Runs the schema migrations: creates the schema when missing and upgrades it in place, one
 * numbered step at a time, recording each in `<prefix>schema_version`. Existing rows are never
 * dropped or rewritten. Two instances starting at once serialise on the dialect's schema lock, so
 * the second finds the work done.
 */
import { gregorError } from 'gregor-client/errors';
import type { Dialect, SqlSession } from './dialect.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type TableNames } from './schema.js';
import { readIntOrNullColumn } from './sql-values.js';
import { toStorageError } from './storage-error.js';

/** What a migration run did. */
export interface MigrationResult {
  /** The version found (0: a fresh database). */
  readonly fromVersion: number;
  /** The version reached. */
  readonly toVersion: number;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Stop at this version (tests build old schemas with it). @default LATEST_SCHEMA_VERSION */
  targetVersion?: number;
  /** Stamped into schema_version.applied_at, ms. */
  nowMs: number;
}

async function currentVersion(s: SqlSession, t: TableNames): Promise<number> {
  const [row] = await s.query(`SELECT MAX(version) AS version FROM ${t.schemaVersion}`);
  return readIntOrNullColumn(row?.version, 'version') ?? 0;
}

/**
 * Bring the schema under `t` to `targetVersion`. Rejects with GREGOR_ERR_STORAGE_MIGRATION when
 * the database is newer than this build or a statement fails.
 */
export async function migrate(
  d: Dialect,
  t: TableNames,
  opts: MigrateOptions,
): Promise<MigrationResult> {
  const target = opts.targetVersion ?? LATEST_SCHEMA_VERSION;
  try {
    return await d.withSchemaLock(async (s) => {
      await s.run(
        `CREATE TABLE IF NOT EXISTS ${t.schemaVersion} (
          version ${d.types.int} NOT NULL PRIMARY KEY,
          description VARCHAR(200) NOT NULL,
          applied_at ${d.types.bigint} NOT NULL
        )`,
      );
      const fromVersion = await currentVersion(s, t);
      if (fromVersion > LATEST_SCHEMA_VERSION) {
        throw gregorError(
          'GREGOR_ERR_STORAGE_MIGRATION',
          `storage: the database schema is at version ${fromVersion}, newer than this build's ${LATEST_SCHEMA_VERSION}`,
        );
      }
      let toVersion = fromVersion;
      for (const m of MIGRATIONS) {
        if (m.version <= fromVersion || m.version > target) continue;
        for (const statement of m.statements(t, d)) {
          try {
            await s.run(statement);
          } catch (err) {
            // MySQL's DDL is not transactional and MySQL 8 has no CREATE INDEX IF NOT EXISTS.
            if (!d.isDuplicateIndexError(err)) throw err;
          }
        }
        await s.run(
          `INSERT INTO ${t.schemaVersion} (version, description, applied_at) VALUES (?, ?, ?)`,
          [m.version, m.description, opts.nowMs],
        );
        toVersion = m.version;
      }
      return { fromVersion, toVersion };
    });
  } catch (err) {
    throw toStorageError(err, 'schema migration', 'GREGOR_ERR_STORAGE_MIGRATION');
  }
}
