/**
 * Throw-away databases for the storage tests: a PostgreSQL schema or a MariaDB database of its
 * own per test run (named by `uniqueName`), dropped again by `drop()`. SQLite tests use temporary
 * files instead.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MYSQL_URL, POSTGRES_URL, uniqueName } from '../../helpers/services.js';

/** A place for one test run's tables. */
export interface TestDatabase {
  /** The URL to open the engine with. */
  readonly url: string;
  /** PostgreSQL: the schema option to pass; undefined elsewhere. */
  readonly schema: string | undefined;
  /** Drop everything the run created. */
  drop(): Promise<void>;
}

/** Run one statement on PostgreSQL outside any engine. */
export async function postgresQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Run one statement on MariaDB outside any engine, optionally in `database`. */
export async function mysqlQuery(sql: string, database?: string): Promise<unknown> {
  const url = new URL(MYSQL_URL);
  if (database !== undefined) url.pathname = `/${database}`;
  const conn = await mysql.createConnection({ uri: url.toString() });
  try {
    const [rows] = await conn.query(sql);
    return rows;
  } finally {
    await conn.end();
  }
}

/** A fresh PostgreSQL schema (the engine creates it on first open). */
export function postgresTestDatabase(prefix = 'gregor_test'): TestDatabase {
  const schema = uniqueName(prefix).toLowerCase();
  return {
    url: POSTGRES_URL,
    schema,
    drop: async () => {
      await postgresQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** A fresh MariaDB database, created now. */
export async function mysqlTestDatabase(prefix = 'gregor_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix).toLowerCase();
  await mysqlQuery(`CREATE DATABASE ${name}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    schema: undefined,
    drop: async () => {
      await mysqlQuery(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}
