/** From a database URL (read by storage-url.ts) to an open Dialect. */
import { configError } from 'gregor-client/errors';
import { DIALECT_NAME, type Dialect, type DialectName } from './dialect.js';
import { MysqlDialect } from './dialect-mysql.js';
import { PostgresDialect } from './dialect-postgres.js';
import { SqliteDialect } from './dialect-sqlite.js';
import type { ResolvedSqlEngineOptions } from './options.js';
import { parseStorageUrl } from './storage-url.js';

/** The dialect a URL names; throws GREGOR_ERR_CONFIG_INVALID for anything else. */
export function dialectOfUrl(url: string): DialectName {
  return parseStorageUrl(url).dialect;
}

/** 32-bit FNV-1a of `text`, for lock keys derived from names. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** Open the dialect `url` names, with `opts`. Connections are made lazily by the pools. */
export async function openDialect(url: string, opts: ResolvedSqlEngineOptions): Promise<Dialect> {
  const parsed = parseStorageUrl(url);
  if (opts.schema !== undefined && parsed.dialect !== DIALECT_NAME.postgres) {
    throw configError('invalid sql engine option', [
      {
        option: 'schema',
        message: 'only PostgreSQL has schemas (name the database in the URL instead)',
      },
    ]);
  }
  switch (parsed.dialect) {
    case DIALECT_NAME.sqlite:
      return SqliteDialect.open({
        path: parsed.path,
        // better-sqlite3 waits for a lock synchronously (the readers on the main thread, the whole
        // process with them): never longer than one operation may take.
        busyTimeoutMs: Math.min(opts.busyTimeoutMs, opts.queryTimeoutMs),
      });
    case DIALECT_NAME.postgres:
      return new PostgresDialect({
        url: parsed.url,
        schema: opts.schema ?? null,
        // Per schema, not per prefix: CREATE SCHEMA IF NOT EXISTS itself races between prefixes.
        schemaLockKey: fnv1a(`gregor.${opts.schema ?? ''}`),
        poolSize: opts.poolSize,
        connectTimeoutMs: opts.connectTimeoutMs,
        queryTimeoutMs: opts.queryTimeoutMs,
        applicationName: opts.applicationName,
        onBackgroundError: opts.onBackgroundError,
      });
    case DIALECT_NAME.mysql: {
      const database = new URL(parsed.url).pathname.slice(1);
      return new MysqlDialect({
        url: parsed.url,
        // GET_LOCK names are server-wide, so the database is part of the name.
        schemaLockName: `gregor_schema_${(fnv1a(database) >>> 0).toString(16)}`,
        schemaLockTimeoutSeconds: Math.ceil(opts.connectTimeoutMs / 1000),
        poolSize: opts.poolSize,
        connectTimeoutMs: opts.connectTimeoutMs,
        queryTimeoutMs: opts.queryTimeoutMs,
        applicationName: opts.applicationName,
        onBackgroundError: opts.onBackgroundError,
      });
    }
  }
}
