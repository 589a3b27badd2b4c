/**
 * Throw-away places for the storage tests, one per dialect: a temporary SQLite file, a
 * PostgreSQL schema or a MariaDB database of its own (named by `uniqueName`), each with a raw
 * connection for setting up and inspecting rows behind the engine's back, and `drop()` to remove
 * everything. `STORAGE_SKIPS` says which services are missing (outside CI they skip with a line;
 * under CI=true `serviceSkipReason` throws instead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Clock, StateMachine } from '../../../packages/client/src/state/index.js';
import {
  type DialectName,
  openSqlEngine,
  type SqlEngine,
  type SqlEngineOptions,
} from '../../../packages/server/src/storage/index.js';
import { MYSQL_URL, POSTGRES_URL, serviceSkipReason, uniqueName } from '../../helpers/services.js';

/** One test's database, with a raw connection to it. */
export interface StoragePlace {
  readonly dialect: DialectName;
  /** The URL to open engines with. */
  readonly url: string;
  /** Options to pass to every engine on this place (the PostgreSQL schema). */
  readonly options: SqlEngineOptions;
  /** Run one statement with `?` placeholders on the raw connection; resolves with its rows. */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Close the raw connection and drop the database, schema or file. */
  drop(): Promise<void>;
}

/** Every dialect, in the order the tests run them. */
export const STORAGE_DIALECTS: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];

/** Why each dialect's tests skip, or undefined when its service answers. */
export const STORAGE_SKIPS: Readonly<Record<DialectName, string | undefined>> = {
  sqlite: undefined,
  postgres: await serviceSkipReason('postgres'),
  mysql: await serviceSkipReason('mysql'),
};

function sqlitePlace(): StoragePlace {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-storage-test-'));
  const path = join(dir, 'test.db');
  let db: Database.Database | undefined;
  return {
    dialect: 'sqlite',
    url: `sqlite:${path}`,
    options: {},
    async sql(text, params = []) {
      db ??= new Database(path);
      const statement = db.prepare(text);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    },
    async drop() {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresPlace(tag: string): Promise<StoragePlace> {
  const schema = uniqueName(tag).toLowerCase();
  const client = new pg.Client({
    connectionString: POSTGRES_URL,
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  return {
    dialect: 'postgres',
    url: POSTGRES_URL,
    options: { schema },
    async sql(text, params = []) {
      let n = 0;
      return (
        await client.query(
          text.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows;
    },
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function mysqlPlace(tag: string): Promise<StoragePlace> {
  const database = uniqueName(tag).toLowerCase();
  const conn = await mysql.createConnection({ uri: MYSQL_URL, supportBigNumbers: true });
  await conn.query(`CREATE DATABASE ${database}`);
  await conn.query(`USE ${database}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return {
    dialect: 'mysql',
    url: url.toString(),
    options: {},
    async sql(text, params = []) {
      const [rows] = await conn.query(text, params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS ${database}`);
      await conn.end();
    },
  };
}

/** A fresh place of `dialect`; `tag` starts its schema or database name. */
export function openStoragePlace(dialect: DialectName, tag = 'gregor_t'): Promise<StoragePlace> {
  if (dialect === 'sqlite') return Promise.resolve(sqlitePlace());
  return dialect === 'postgres' ? postgresPlace(tag) : mysqlPlace(tag);
}

/** Open an engine on `place` with its options plus `extra`. */
export function openEngineOn(
  place: StoragePlace,
  extra: SqlEngineOptions = {},
): Promise<SqlEngine> {
  return openSqlEngine(place.url, { ...place.options, poolSize: 4, ...extra });
}

/**
 * What the conformance files pass to `runStateMachineSuite` for `dialect`: one place for the run,
 * dropped at the end (`after` is registered here), and per case a fresh engine on it, cleared.
 */
export async function sqlConformanceTarget(
  dialect: DialectName,
  registerAfter: (fn: () => Promise<void>) => void,
): Promise<{
  makeEngine: (clock: Clock) => Promise<StateMachine>;
  options: { skip?: string };
}> {
  const skip = STORAGE_SKIPS[dialect];
  if (skip !== undefined)
    return { makeEngine: () => Promise.reject(new Error(skip)), options: { skip } };
  const place = await openStoragePlace(dialect, 'gregor_conf');
  registerAfter(() => place.drop());
  const makeEngine = async (clock: Clock) => {
    const engine = await openEngineOn(place, { clock });
    await engine.clear();
    return engine;
  };
  return { makeEngine, options: {} };
}
