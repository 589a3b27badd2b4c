/**
 * From a database URL to an open Dialect: `sqlite:PATH` (or `sqlite::memory:`),
 * `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`.
 */
import { gregorError } from 'gregor-client/errors';
import { DIALECT_NAME, type Dialect, type DialectName } from './dialect.js';
import { MysqlDialect } from './dialect-mysql.js';
import { PostgresDialect } from './dialect-postgres.js';
import { SqliteDialect } from './dialect-sqlite.js';
import type { ResolvedSqlEngineOptions } from './options.js';

const SCHEMES: Record<string, DialectName> = {
  'sqlite:': DIALECT_NAME.sqlite,
  'postgres:': DIALECT_NAME.postgres,
  'postgresql:': DIALECT_NAME.postgres,
  'mysql:': DIALECT_NAME.mysql,
  'mariadb:': DIALECT_NAME.mysql,
};

/** The dialect a URL names; throws GREGOR_ERR_CONFIG_INVALID for anything else. */
export function dialectOfUrl(url: string): DialectName {
  const scheme = /^[a-z]+:/i.exec(url)?.[0].toLowerCase();
  const name = scheme === undefined ? undefined : SCHEMES[scheme];
  if (name === undefined) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      'storage url: expected sqlite:PATH, sqlite::memory:, postgres://… or mysql://…',
    );
  }
  return name;
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

function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  // Accept sqlite://relative and sqlite:///absolute as well as sqlite:path.
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '')
    throw gregorError('GREGOR_ERR_CONFIG_INVALID', 'storage url: sqlite: needs a path');
  return path;
}

/** Open the dialect `url` names, with `opts`. Connections are made lazily by the pools. */
export function openDialect(url: string, opts: ResolvedSqlEngineOptions): Dialect {
  const name = dialectOfUrl(url);
  if (opts.schema !== undefined && name !== DIALECT_NAME.postgres) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      'sql engine option schema: only PostgreSQL has schemas (name the database in the URL instead)',
    );
  }
  switch (name) {
    case DIALECT_NAME.sqlite:
      return new SqliteDialect({
        path: sqlitePath(url),
        // better-sqlite3 waits for a lock synchronously, the whole process with it: never longer
        // than one operation may take.
        busyTimeoutMs: Math.min(opts.busyTimeoutMs, opts.queryTimeoutMs),
      });
    case DIALECT_NAME.postgres:
      return new PostgresDialect({
        url,
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
      const mysqlUrl = url.replace(/^mariadb:/i, 'mysql:');
      const database = new URL(mysqlUrl).pathname.slice(1);
      return new MysqlDialect({
        url: mysqlUrl,
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
