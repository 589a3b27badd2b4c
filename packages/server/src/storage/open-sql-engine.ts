/**
 * Factories: `openSqlEngine` opens a database, brings its schema up to date and returns the
 * engine; `migrateSqlSchema` only runs the migrations (deploy tooling, and tests that build an
 * older schema to upgrade).
 */
import { type MigrationResult, migrate } from './migrate.js';
import { openDialect } from './open-dialect.js';
import { resolveSqlEngineOptions, type SqlEngineOptions } from './options.js';
import { tableNames } from './schema.js';
import { SqlEngine } from './sql-engine.js';

/**
 * Open the engine for `url`: `sqlite:PATH`, `sqlite::memory:`, `postgres://…` or `mysql://…`.
 * Creates or upgrades the schema (never dropping data) before resolving. Rejects with
 * GREGOR_ERR_CONFIG_INVALID for bad options or URL, GREGOR_ERR_STORAGE_MIGRATION when the
 * database cannot be reached or its schema cannot be brought up to date.
 */
export async function openSqlEngine(url: string, opts: SqlEngineOptions = {}): Promise<SqlEngine> {
  const resolved = resolveSqlEngineOptions(opts);
  const dialect = await openDialect(url, resolved);
  const tables = tableNames(resolved.tablePrefix);
  try {
    await migrate(dialect, tables, { nowMs: resolved.clock.now() });
  } catch (err) {
    await dialect.close().catch(() => undefined);
    throw err;
  }
  return new SqlEngine(dialect, tables, resolved);
}

/**
 * Run the migrations of `url` up to `targetVersion` (default: the latest) and close again.
 * Resolves with the versions found and reached.
 */
export async function migrateSqlSchema(
  url: string,
  opts: SqlEngineOptions & { targetVersion?: number } = {},
): Promise<MigrationResult> {
  const { targetVersion, ...engineOptions } = opts;
  const resolved = resolveSqlEngineOptions(engineOptions);
  const dialect = await openDialect(url, resolved);
  try {
    return await migrate(dialect, tableNames(resolved.tablePrefix), {
      nowMs: resolved.clock.now(),
      ...(targetVersion === undefined ? {} : { targetVersion }),
    });
  } finally {
    await dialect.close().catch(() => undefined);
  }
}
