/**
 * Rows per table, for the metrics: cheap, so the database's own estimates where it keeps them.
 * - PostgreSQL: `n_live_tup` of pg_stat_user_tables, kept up to date by every write (reported with
 *   a short delay), an estimate.
 * - MySQL/MariaDB: information_schema.TABLES.TABLE_ROWS, InnoDB's estimate from sampled pages (it
 *   can be off by tens of percent, and MySQL 8 caches it for information_schema_stats_expiry).
 * - SQLite keeps no estimate: the rows are counted, exactly, in slices of the rowid that each
 *   take a read of their own, so a large table never holds a reader, or the event loop, for long.
 */
import type { TableRowCounts } from 'gregor-client/state';
import type { DialectName, SqlSession } from './dialect.js';
import type { TableNames } from './schema.js';
import { readIntColumn, readIntOrNullColumn } from './sql-values.js';

/** Rows one slice of a SQLite count reads. */
const SQLITE_SLICE_ROWS = 10_000;

/** Runs one read, with its own deadline: a count of many slices is not one long operation. */
export type ReadRunner = <T>(fn: (s: SqlSession) => Promise<T>) => Promise<T>;

async function sqliteCount(read: ReadRunner, table: string): Promise<number> {
  let total = 0;
  let after = -Number.MAX_SAFE_INTEGER;
  for (;;) {
    const [row] = await read((s) =>
      s.query(
        `SELECT COUNT(*) AS n, MAX(rowid) AS last FROM (SELECT rowid FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ${SQLITE_SLICE_ROWS})`,
        [after],
      ),
    );
    const n = readIntColumn(row?.n ?? 0, 'n');
    total += n;
    const last = readIntOrNullColumn(row?.last, 'last');
    if (n < SQLITE_SLICE_ROWS || last === null) return total;
    after = last;
  }
}

/** Estimates by table name from the database's statistics. */
async function estimates(
  dialect: DialectName,
  read: ReadRunner,
  names: readonly string[],
): Promise<Map<string, number>> {
  const sql =
    dialect === 'postgres'
      ? `SELECT relname AS name, n_live_tup AS n FROM pg_stat_user_tables WHERE relid IN (${names.map(() => 'to_regclass(?)').join(', ')})`
      : `SELECT TABLE_NAME AS name, TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${names.map(() => '?').join(', ')})`;
  const rows = await read((s) => s.query(sql, names));
  const out = new Map<string, number>();
  for (const row of rows) {
    out.set(String(row.name), readIntOrNullColumn(row.n, 'n') ?? 0);
  }
  return out;
}

/** Rows of items, messages and reminders under `t`, each read through `read`. */
export async function countTableRows(
  dialect: DialectName,
  read: ReadRunner,
  t: TableNames,
): Promise<TableRowCounts> {
  if (dialect === 'sqlite') {
    return {
      items: await sqliteCount(read, t.items),
      messages: await sqliteCount(read, t.messages),
      reminders: await sqliteCount(read, t.reminders),
      estimated: false,
    };
  }
  const byName = await estimates(dialect, read, [t.items, t.messages, t.reminders]);
  return {
    items: byName.get(t.items) ?? 0,
    messages: byName.get(t.messages) ?? 0,
    reminders: byName.get(t.reminders) ?? 0,
    estimated: true,
  };
}
