// Streamed reads (SqlSession.streamRows): every row arrives, in order, while the event loop runs
// between slices of work (the driver paused meanwhile); a reader that throws stops seeing rows
// and the connection goes back to the pool usable; on PostgreSQL and MySQL a streamed statement
// past the query timeout fails with GREGOR_ERR_TIMEOUT like any other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dialect, SqlRow } from '../../../packages/server/src/storage/dialect.js';
import { openDialect } from '../../../packages/server/src/storage/open-dialect.js';
import { resolveSqlEngineOptions } from '../../../packages/server/src/storage/options.js';
import { readIntColumn } from '../../../packages/server/src/storage/sql-values.js';
import { openStoragePlace, STORAGE_DIALECTS, STORAGE_SKIPS } from './storage-places.js';

const ROWS = 20_000;
/**
 * 1..? (at most 100,000) in order, in every dialect's SQL: five digits of a table of ten (MariaDB
 * stops a recursive CTE after 1000 rounds).
 */
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `SELECT ${n} AS d`).join(' UNION ALL ');
const SEQUENCE =
  `WITH digits AS (${DIGITS}) ` +
  'SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n ' +
  'FROM digits a, digits b, digits c, digits e, digits f ' +
  'WHERE 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d <= ? ORDER BY n';
const SLEEP = { postgres: 'SELECT pg_sleep(5) AS slept', mysql: 'SELECT SLEEP(5) AS slept' };
/** Statements of the timeout case are cut after this; the others have all the time they need. */
const QUERY_TIMEOUT_MS = 300;
const NO_TIMEOUT_MS = 60_000;

/** Keep the CPU busy for about `ms` (a reader doing real work on a row). */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** A dialect on a fresh place, with a pool of 2 and statements cut after `queryTimeoutMs`. */
async function withDialect(
  name: (typeof STORAGE_DIALECTS)[number],
  queryTimeoutMs: number,
  fn: (d: Dialect) => Promise<void>,
): Promise<void> {
  const place = await openStoragePlace(name, 'gregor_stream');
  try {
    const dialect = await openDialect(
      place.url,
      resolveSqlEngineOptions({ ...place.options, poolSize: 2, queryTimeoutMs }),
    );
    try {
      await fn(dialect);
    } finally {
      await dialect.close();
    }
  } finally {
    await place.drop();
  }
}

/** Two reads at once, twice: every connection of the pool (of 2) answers, none was left paused. */
async function assertEveryConnectionServes(d: Dialect): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const counts = await Promise.all(
      [1, 2].map(async () => {
        let count = 0;
        await stream(d, SEQUENCE, [10], () => count++);
        return count;
      }),
    );
    assert.deepEqual(counts, [10, 10]);
  }
}

const stream = (d: Dialect, sql: string, params: number[], onRow: (row: SqlRow) => void) =>
  d.read((s) => {
    assert.ok(s.streamRows, 'reader sessions stream');
    return s.streamRows(sql, params, onRow);
  });

for (const name of STORAGE_DIALECTS) {
  describe(`${name} streamed reads`, { skip: STORAGE_SKIPS[name] ?? false }, () => {
    it('hands over every row in order, letting the event loop run between slices', async () => {
      await withDialect(name, NO_TIMEOUT_MS, async (d) => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 1);
        const seen: number[] = [];
        try {
          await stream(d, SEQUENCE, [ROWS], (row) => {
            seen.push(readIntColumn(row.n, 'n'));
            // About a second of work in all: many slices' worth.
            work(0.05);
          });
        } finally {
          clearInterval(timer);
        }
        assert.equal(seen.length, ROWS);
        assert.ok(
          seen.every((n, i) => n === i + 1),
          'rows in order',
        );
        assert.ok(ticks >= 5, `the event loop ran during the read (${ticks} timer ticks)`);
      });
    });

    it('rejects with what the reader threw, and the connection serves the next read', async () => {
      await withDialect(name, NO_TIMEOUT_MS, async (d) => {
        let calls = 0;
        const boom = new Error('reader gave up');
        await assert.rejects(
          stream(d, SEQUENCE, [ROWS], () => {
            calls++;
            work(0.05);
            if (calls === 5_000) throw boom;
          }),
          boom,
        );
        assert.equal(calls, 5_000, 'no row after the throw');
        await assertEveryConnectionServes(d);
      });
    });

    if (name === 'sqlite') return;

    it('fails a streamed statement past the query timeout with GREGOR_ERR_TIMEOUT', async () => {
      await withDialect(name, QUERY_TIMEOUT_MS, async (d) => {
        await assert.rejects(
          stream(d, SLEEP[name], [], () => {}),
          { code: 'GREGOR_ERR_TIMEOUT' },
        );
        await assertEveryConnectionServes(d);
      });
    });
  });
}
