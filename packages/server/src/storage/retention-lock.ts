/**
 * The sweep lease of retention: one row of the `locks` table (schema.ts) that the instances of one
 * database share. Taking it is one conditional UPDATE, which every dialect runs atomically (the
 * row lock of PostgreSQL and InnoDB makes a second taker wait and then re-check the condition
 * against the first one's commit; SQLite's BEGIN IMMEDIATE excludes every other writer), so two
 * instances never both hold it. Each batch renews it in its own transaction, where it also moves
 * the cursor: a holder that stalls past the expiry loses the lease, its next batch deletes nothing,
 * and the next holder resumes from the last committed cursor.
 */
import type { Time, UID } from 'gregor-client/protocol';
import type { ClaimOptions, SweepLease } from 'gregor-client/state';
import type { Dialect, SqlSession } from './dialect.js';
import type { TableNames } from './schema.js';
import { readBytesOrNullColumn, readIntOrNullColumn } from './sql-values.js';

/** The name of retention's row. */
export const SWEEP_LOCK = 'retention';

/** Make sure the lease row exists; a concurrent first insert may win, which is just as good. */
async function ensureRow(d: Dialect, t: TableNames): Promise<void> {
  const rows = await d.read((s) =>
    s.query(`SELECT name FROM ${t.locks} WHERE name = ?`, [SWEEP_LOCK]),
  );
  if (rows.length > 0) return;
  await d
    .transaction((s) =>
      s.run(`INSERT INTO ${t.locks} (name, owner, expires_at) VALUES (?, NULL, 0)`, [SWEEP_LOCK]),
    )
    // Another instance inserted it first (a duplicate key): the claim below finds its row. Any
    // other failure shows again in the claim.
    .catch(() => undefined);
}

/**
 * Take the lease for `owner` at `now` (or renew its own): when it is free (expired or its own)
 * and a sweep is due (one is unfinished, or the last completed `minIntervalMs` ago or never).
 */
export async function claimLease(
  d: Dialect,
  t: TableNames,
  owner: string,
  now: Time,
  { leaseMs, minIntervalMs }: ClaimOptions,
): Promise<SweepLease | null> {
  await ensureRow(d, t);
  return d.transaction(async (s) => {
    const taken = await s.run(
      `UPDATE ${t.locks} SET owner = ?, expires_at = ? WHERE name = ? ` +
        'AND (owner = ? OR expires_at <= ?) ' +
        'AND (cursor_uid IS NOT NULL OR last_done_at IS NULL OR last_done_at <= ?)',
      [owner, now + leaseMs, SWEEP_LOCK, owner, now, now - minIntervalMs],
    );
    if (taken === 0) return null;
    const [row] = await s.query(`SELECT cursor_uid FROM ${t.locks} WHERE name = ?`, [SWEEP_LOCK]);
    return { cursor: readBytesOrNullColumn(row?.cursor_uid, 'cursor_uid') as UID | null };
  });
}

/**
 * Inside a batch's transaction: renew `owner`'s lease until `expiresAt` and record `cursor`, or,
 * when `completedAt` is given, record the sweep as completed and give the lease back. False when
 * `owner` no longer holds the lease (the transaction must then roll back).
 */
export async function advanceLease(
  s: SqlSession,
  t: TableNames,
  owner: string,
  next: { cursor: UID | null; expiresAt: Time } | { completedAt: Time },
): Promise<boolean> {
  const changed =
    'completedAt' in next
      ? await s.run(
          `UPDATE ${t.locks} SET owner = NULL, expires_at = 0, cursor_uid = NULL, last_done_at = ? ` +
            'WHERE name = ? AND owner = ?',
          [next.completedAt, SWEEP_LOCK, owner],
        )
      : await s.run(
          `UPDATE ${t.locks} SET expires_at = ?, cursor_uid = ? WHERE name = ? AND owner = ?`,
          [next.expiresAt, next.cursor, SWEEP_LOCK, owner],
        );
  return changed > 0;
}

/** Give `owner`'s lease back, keeping the cursor for the next holder; a no-op for anyone else. */
export async function releaseLease(d: Dialect, t: TableNames, owner: string): Promise<void> {
  await d.transaction((s) =>
    s.run(`UPDATE ${t.locks} SET owner = NULL, expires_at = 0 WHERE name = ? AND owner = ?`, [
      SWEEP_LOCK,
      owner,
    ]),
  );
}

/** When the last sweep completed, or null. */
export async function lastSweepAt(d: Dialect, t: TableNames): Promise<Time | null> {
  const [row] = await d.read((s) =>
    s.query(`SELECT last_done_at FROM ${t.locks} WHERE name = ?`, [SWEEP_LOCK]),
  );
  return readIntOrNullColumn(row?.last_done_at, 'last_done_at');
}
