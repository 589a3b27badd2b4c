/**
 * A user with 100k items (99% dismissed) and 100k reminders: the engine's queries must read
 * through their index and examine about as many rows as they return, never the user's whole
 * history or other users' rows. PostgreSQL (EXPLAIN ANALYZE) and MariaDB (ANALYZE FORMAT=JSON)
 * report the rows each table access really read; SQLite reports the index it searches with
 * (EXPLAIN QUERY PLAN). The rows are bulk-inserted with SQL in the engine's row format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { batchReadSql } from '../../../packages/server/src/storage/batch-io.js';
import {
  DIALECT_NAME,
  type DialectName,
  migrateSqlSchema,
  openSqlEngine,
} from '../../../packages/server/src/storage/index.js';
import { dueRemindersSql } from '../../../packages/server/src/storage/reminder-queries.js';
import {
  nextUsersSql,
  pastHorizonSql,
} from '../../../packages/server/src/storage/retention-queries.js';
import { tableNames } from '../../../packages/server/src/storage/schema.js';
import {
  latestCTimeSql,
  sinceSql,
  stateSql,
} from '../../../packages/server/src/storage/state-queries.js';
import { filled, T0 } from './messages.js';
import {
  openStoragePlace,
  STORAGE_DIALECTS,
  STORAGE_SKIPS,
  type StoragePlace,
} from './storage-places.js';

const N = 100_000;
const NEVER = Number.MAX_SAFE_INTEGER;
const A = Buffer.from(filled(0x0a));
const B = Buffer.from(filled(0x0b));
const NOW = T0 + 10 * N;
const t = tableNames('gregor_');
const lock = (d: DialectName) => ({
  lockRowsSkipLocked: {
    sqlite: '',
    postgres: 'FOR UPDATE SKIP LOCKED',
    mysql: 'FOR UPDATE SKIP LOCKED',
  }[d],
});

/**
 * Row i of user A: ctime T0+i, category c(i%10), live only when i%100 = 0 (1000 live items);
 * its reminder is due only when i%1000 = 0 (100 due). User B has 1000 live items of its own.
 */
function bulkInsertSql(d: DialectName): string[] {
  const seq = {
    sqlite: (n: number) =>
      `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) SELECT i FROM s)`,
    postgres: (n: number) => `(SELECT i FROM generate_series(1, ${n}) AS g(i))`,
    mysql: (n: number) => `(SELECT seq AS i FROM seq_1_to_${n})`,
  }[d];
  const id = {
    sqlite: "CAST(printf('%016d', i) AS BLOB)",
    postgres: 'int8send(i)',
    mysql: "UNHEX(LPAD(HEX(i), 16, '0'))",
  }[d];
  const cat = {
    sqlite: "CAST('c' || (i % 10) AS BLOB)",
    postgres: "convert_to('c' || (i % 10), 'UTF8')",
    mysql: "CAST(CONCAT('c', i % 10) AS BINARY)",
  }[d];
  const hex = (b: Buffer) =>
    ({
      sqlite: `X'${b.toString('hex')}'`,
      postgres: `'\\x${b.toString('hex')}'::bytea`,
      mysql: `X'${b.toString('hex')}'`,
    })[d];
  const dismissed = (live: string) => `CASE WHEN ${live} THEN 0 ELSE 1 END`;
  const items = (uid: Buffer, n: number, live: string) =>
    `INSERT INTO ${t.items} (uid, msgid, ctime, devid, category, body, dtime, dtime_offset, expire_at, dismissed) ` +
    `SELECT ${hex(uid)}, ${id}, ${T0} + i, NULL, ${cat}, ${hex(Buffer.from('body'))}, 0, 0, ${NEVER}, ${dismissed(live)} FROM ${seq(n)} AS s`;
  const log = (uid: Buffer, n: number, live: string) =>
    `INSERT INTO ${t.messages} (uid, msgid, ctime, devid, has_item, item_dtime, item_dtime_offset, item_dismissed, body) ` +
    `SELECT ${hex(uid)}, ${id}, ${T0} + i, NULL, 1, 0, 0, ${dismissed(live)}, ${hex(Buffer.from('x'))} FROM ${seq(n)} AS s`;
  return [
    items(A, N, 'i % 100 = 0'),
    items(B, 1000, '1 = 1'),
    // B's log comes after A's, so walking the log backwards from its end meets B first.
    log(A, N, 'i % 100 = 0'),
    log(B, 1000, '1 = 1'),
    `INSERT INTO ${t.reminders} (uid, msgid, seqno, rtime, lock_time, expire_at) SELECT ${hex(A)}, ${id}, 0, CASE WHEN i % 1000 = 0 THEN ${T0} ELSE ${NOW + 1000} + i END, NULL, ${NEVER} FROM ${seq(N)} AS s`,
  ];
}

interface Access {
  /** The index the access reads through, if any. */
  index: string | null;
  /** True for a read of the whole table (PG Seq Scan, MariaDB access type ALL). */
  fullScan: boolean;
  /** Rows read, before filters; 0 for an index scan that only feeds a bitmap heap scan. */
  examined: number;
}

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const x of node) walk(x, visit);
  else if (node !== null && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/** The table accesses of `sql` with the rows each really read (PG, MariaDB). */
async function tableAccesses(p: StoragePlace, sql: string, params: unknown[]): Promise<Access[]> {
  const accesses: Access[] = [];
  if (p.dialect === DIALECT_NAME.postgres) {
    const [row] = await p.sql(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
    walk(row?.['QUERY PLAN'], (o) => {
      if (typeof o['Relation Name'] !== 'string' && typeof o['Index Name'] !== 'string') return;
      const type = String(o['Node Type']);
      const read = ['Actual Rows', 'Rows Removed by Filter', 'Rows Removed by Index Recheck']
        .map((k) => Number(o[k] ?? 0))
        .reduce((a, b) => a + b, 0);
      accesses.push({
        index: (o['Index Name'] as string) ?? null,
        fullScan: type === 'Seq Scan',
        // A bitmap index scan's rows are counted once, by the heap scan it feeds.
        examined: type === 'Bitmap Index Scan' ? 0 : read * Number(o['Actual Loops'] ?? 1),
      });
    });
  } else {
    const [row] = await p.sql(`ANALYZE FORMAT=JSON ${sql}`, params);
    walk(JSON.parse(String(row?.ANALYZE)), (o) => {
      if (typeof o.table_name !== 'string') return;
      accesses.push({
        index: (o.key as string) ?? null,
        fullScan: o.access_type === 'ALL',
        examined: Number(o.r_rows ?? 0) * Number(o.r_loops ?? 1),
      });
    });
  }
  return accesses;
}

const ITEMS_LIVE = ['gregor_items_visible', 'gregor_items_category'];

/** The queries, each with its parameters, the index it must use and the rows it may read. */
function cases(d: DialectName) {
  const D = Buffer.from(filled(0x0d));
  return [
    // Both item indexes start (uid, dismissed): either reads only the user's undismissed items.
    {
      what: 'state',
      sql: stateSql(t, false, false),
      params: [A, NOW],
      index: ITEMS_LIVE,
      max: 1_000,
    },
    {
      what: 'state at a time for a device',
      sql: stateSql(t, true, true),
      params: [A, T0 + N / 2, T0 + N / 2, D],
      index: ITEMS_LIVE,
      max: 1_000,
    },
    {
      what: 'since the last 1000 messages',
      sql: sinceSql(t, false),
      params: [A, T0 + N - 999],
      index: ['gregor_messages_since'],
      max: 1_000,
    },
    {
      what: 'latestCTime',
      sql: latestCTimeSql(t, true),
      params: [A, D],
      index: ['gregor_messages_latest'],
      max: 10,
    },
    {
      what: 'due reminders',
      sql: dueRemindersSql(t, lock(d)),
      params: [NOW, NOW - 600_000, NOW, 1001],
      index: ['gregor_reminders_due'],
      max: 100,
    },
    {
      what: 'range-dismissal candidates',
      sql: batchReadSql(t, ['range']),
      params: [A, Buffer.from('c0'), T0 + N / 2],
      index: ['gregor_items_category'],
      max: 500,
    },
    // Retention walks the users one index probe each, however many rows they have.
    {
      what: 'retention: the next users',
      sql: nextUsersSql(t, d, 50),
      params: [Buffer.alloc(0)],
      index: ['gregor_messages_since', 'gregor_messages_latest', 'uid'],
      max: 10,
    },
    // The user's rows before the horizon, in index order, up to the batch's limit.
    {
      what: 'retention: rows past the horizon',
      sql: pastHorizonSql(t, 1, 500),
      params: [A, T0 + 2000, T0 + 2000, T0 + 2000],
      index: ['gregor_messages_since'],
      max: 520,
    },
  ];
}

for (const dialect of STORAGE_DIALECTS) {
  describe(`SqlEngine queries on a 100k-item user (${dialect})`, {
    skip: STORAGE_SKIPS[dialect] ?? false,
    timeout: 120_000,
  }, () => {
    let place: StoragePlace;
    before(async () => {
      place = await openStoragePlace(dialect, 'gregor_plan');
      await migrateSqlSchema(place.url, place.options);
      for (const sql of bulkInsertSql(dialect)) await place.sql(sql);
      for (const table of [t.items, t.messages, t.reminders])
        await place.sql(dialect === 'mysql' ? `ANALYZE TABLE ${table}` : `ANALYZE ${table}`);
    });
    after(() => place.drop());

    for (const c of cases(dialect)) {
      it(`${c.what} reads through ${c.index.join(' or ')}, not the user's history`, async () => {
        if (dialect === 'sqlite') {
          const plan = (await place.sql(`EXPLAIN QUERY PLAN ${c.sql}`, c.params)).map((r) =>
            String(r.detail),
          );
          const searches = (line: string) =>
            line.startsWith('SEARCH') && c.index.some((i) => line.includes(`INDEX ${i} `));
          assert.ok(plan.some(searches), plan.join('\n'));
          assert.ok(
            // A recursive query's own queue (next_users) is not a table.
            !plan.some((line) => /^SCAN \w+$/.test(line) && line !== 'SCAN next_users'),
            `no full table scan:\n${plan.join('\n')}`,
          );
          return;
        }
        const accesses = await tableAccesses(place, c.sql, c.params);
        assert.ok(
          accesses.some((a) => a.index !== null && c.index.includes(a.index)),
          JSON.stringify(accesses),
        );
        assert.ok(
          !accesses.some((a) => a.fullScan),
          `no full table scan: ${JSON.stringify(accesses)}`,
        );
        const examined = accesses.reduce((sum, a) => sum + a.examined, 0);
        assert.ok(
          examined <= c.max,
          `examined ${examined} rows, at most ${c.max} expected: ${JSON.stringify(accesses)}`,
        );
      });
    }

    it('state answers from the bulk rows: 1000 live items of 100k', async () => {
      const engine = await openSqlEngine(place.url, place.options);
      try {
        assert.equal((await engine.state(A as never, null, null)).items.length, 1000);
        assert.equal(await engine.latestCTime(A as never, null), T0 + N);
      } finally {
        await engine.close();
      }
    });
  });
}
