/**
 * The public surface of the storage layer: the SQL StateMachine over SQLite, PostgreSQL and
 * MySQL/MariaDB, its options and its migrations.
 */
export type { DialectName } from './dialect.js';
export { DIALECT_NAME } from './dialect.js';
export type { MigrationResult } from './migrate.js';
export { dialectOfUrl } from './open-dialect.js';
export { migrateSqlSchema, openSqlEngine } from './open-sql-engine.js';
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_BATCH_MESSAGES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_POOL_SIZE,
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_REMINDER_LOCK_DURATION_MS,
  DEFAULT_TABLE_PREFIX,
  type SqlEngineOptions,
} from './options.js';
export { LATEST_SCHEMA_VERSION, MAX_CATEGORY_BYTES, MAX_ID_BYTES } from './schema.js';
export { SqlEngine } from './sql-engine.js';
export {
  parseStorageUrl,
  redactPassword,
  STORAGE_URL_SCHEMES,
  type StorageUrl,
} from './storage-url.js';
