/**
 * Where the storage benchmark runs, per dialect: an isolated database (a temp SQLite file, a
 * PostgreSQL schema, a MariaDB database, all dropped afterwards) and the baseline, i.e. the same
 * rows written and read with the plain driver in batched transactions with the same durability
 * (SQLite WAL + synchronous=FULL, PostgreSQL synchronous_commit=on, InnoDB as configured).
 * The baseline tables are created by the engine's own migrations under another prefix, so they
 * carry the same indexes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  type DialectName,
  migrateSqlSchema,
  type SqlEngineOptions,
} from '../packages/server/src/storage/index.js';
import { tableNames } from '../packages/server/src/storage/schema.js';
import { sinceSql, stateSql } from '../packages/server/src/storage/state-queries.js';

const POSTGRES_URL =
  process.env.GREGOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.GREGOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const BASE = 'base_';

/** The rows one consumed creation writes: its item and its log entry. */
export interface BaselineRow {
  uid: Buffer;
  msgID: Buffer;
  ctime: number;
  category: Buffer;
  body: Buffer;
  logBody: Buffer;
}

/** The plain-driver baseline of one dialect. */
export interface Baseline {
  /** Insert the rows in one durable transaction. */
  insert(rows: readonly BaselineRow[]): Promise<void>;
  /** The State query's rows for `uid`, unprocessed; resolves with the row count. */
  selectItems(uid: Buffer, now: number): Promise<number>;
  /** The since query's rows for `uid` from 0, unprocessed; resolves with the row count. */
  selectLog(uid: Buffer): Promise<number>;
  close(): Promise<void>;
}

/** One dialect's benchmark database. */
export interface BenchPlace {
  readonly dialect: DialectName;
  readonly url: string;
  readonly options: SqlEngineOptions;
  readonly baseline: Baseline;
  drop(): Promise<void>;
}

const tuples = (n: number, w: number): string =>
  new Array(n).fill(`(${new Array(w).fill('?').join(', ')})`).join(', ');
const ITEM_COLS =
  'uid, msgid, ctime, devid, category, body, dtime, dtime_offset, expire_at, dismissed';
const LOG_COLS =
  'uid, msgid, ctime, devid, has_item, item_dtime, item_dtime_offset, item_dismissed, body';
const itemValues = (r: BaselineRow) => [
  r.uid,
  r.msgID,
  r.ctime,
  null,
  r.category,
  r.body,
  0,
  0,
  Number.MAX_SAFE_INTEGER,
  0,
];
const logValues = (r: BaselineRow) => [r.uid, r.msgID, r.ctime, null, 1, 0, 0, 0, r.logBody];
// The engine's own query texts, on the baseline's tables.
const BASE_TABLES = tableNames(BASE);
const STATE_SQL = stateSql(BASE_TABLES, false, false);
const SINCE_SQL = sinceSql(BASE_TABLES, false);

function sqliteBaseline(path: string): Baseline {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  return {
    async insert(rows) {
      db.exec('BEGIN IMMEDIATE');
      prepare(`INSERT INTO ${BASE}items (${ITEM_COLS}) VALUES ${tuples(rows.length, 10)}`).run(
        rows.flatMap(itemValues),
      );
      prepare(`INSERT INTO ${BASE}messages (${LOG_COLS}) VALUES ${tuples(rows.length, 9)}`).run(
        rows.flatMap(logValues),
      );
      db.exec('COMMIT');
    },
    async selectItems(uid, now) {
      return prepare(STATE_SQL).all(uid, now).length;
    },
    async selectLog(uid) {
      return prepare(SINCE_SQL).all(uid, 0).length;
    },
    async close() {
      db.close();
    },
  };
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function postgresBaseline(schema: string): Promise<Baseline> {
  const client = new pg.Client({
    connectionString: POSTGRES_URL,
    options: `-c search_path=${schema} -c synchronous_commit=on`,
  });
  await client.connect();
  return {
    async insert(rows) {
      await client.query('BEGIN');
      await client.query(
        numbered(`INSERT INTO ${BASE}items (${ITEM_COLS}) VALUES ${tuples(rows.length, 10)}`),
        rows.flatMap(itemValues),
      );
      await client.query(
        numbered(`INSERT INTO ${BASE}messages (${LOG_COLS}) VALUES ${tuples(rows.length, 9)}`),
        rows.flatMap(logValues),
      );
      await client.query('COMMIT');
    },
    async selectItems(uid, now) {
      return (await client.query(numbered(STATE_SQL), [uid, now])).rowCount ?? 0;
    },
    async selectLog(uid) {
      return (await client.query(numbered(SINCE_SQL), [uid, 0])).rowCount ?? 0;
    },
    close: () => client.end(),
  };
}

async function mysqlBaseline(url: string): Promise<Baseline> {
  const conn = await mysql.createConnection({ uri: url, supportBigNumbers: true });
  return {
    async insert(rows) {
      await conn.query('START TRANSACTION');
      await conn.query(
        `INSERT INTO ${BASE}items (${ITEM_COLS}) VALUES ${tuples(rows.length, 10)}`,
        rows.flatMap(itemValues),
      );
      await conn.query(
        `INSERT INTO ${BASE}messages (${LOG_COLS}) VALUES ${tuples(rows.length, 9)}`,
        rows.flatMap(logValues),
      );
      await conn.query('COMMIT');
    },
    async selectItems(uid, now) {
      const [rows] = await conn.query(STATE_SQL, [uid, now]);
      return (rows as unknown[]).length;
    },
    async selectLog(uid) {
      const [rows] = await conn.query(SINCE_SQL, [uid, 0]);
      return (rows as unknown[]).length;
    },
    close: () => conn.end(),
  };
}

/** Create the benchmark database of `dialect`, with the engine's and the baseline's tables. */
export async function openBenchPlace(dialect: DialectName): Promise<BenchPlace> {
  const tag = `gregor_bench_${process.pid}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
    const url = `sqlite:${join(dir, 'bench.db')}`;
    await migrateSqlSchema(url, { tablePrefix: BASE });
    const baseline = sqliteBaseline(join(dir, 'bench.db'));
    return {
      dialect,
      url,
      options: {},
      baseline,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'postgres') {
    const options = { schema: tag };
    await migrateSqlSchema(POSTGRES_URL, { ...options, tablePrefix: BASE });
    const baseline = await postgresBaseline(tag);
    const drop = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
      await c.end();
    };
    return { dialect, url: POSTGRES_URL, options, baseline, drop };
  }
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE ${tag}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${tag}`;
  await migrateSqlSchema(url.toString(), { tablePrefix: BASE });
  const baseline = await mysqlBaseline(url.toString());
  const drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${tag}`);
    await admin.end();
  };
  return { dialect, url: url.toString(), options: {}, baseline, drop };
}
