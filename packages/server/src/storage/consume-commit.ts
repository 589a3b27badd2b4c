/**
 * Commits one group-commit batch of consumes. The fast path applies the whole batch with
 * set-based statements in one transaction. If that fails, the cause may be a single bad message,
 * so the batch is applied again one message at a time, each under its own savepoint: a message
 * that fails is rolled back and fails alone, the others commit together. A lost connection is
 * retried on a fresh one (`retryOnConnectionLoss`); that is safe because consumes are idempotent (a
 * logged msgID is not applied twice, and a replayed dismissal uses the same captured time).
 */
import { isGregorError } from 'gregor-client/errors';
import { loadSnapshot, writeBatch } from './batch-io.js';
import { type ConsumeJob, type PlanAnswer, planBatch, planReads } from './consume-plan.js';
import { type Dialect, retryOnConnectionLoss, type SqlSession } from './dialect.js';
import type { TableNames } from './schema.js';
import { toStorageError } from './storage-error.js';

async function applyJobs(
  d: Dialect,
  s: SqlSession,
  t: TableNames,
  jobs: readonly ConsumeJob[],
): Promise<PlanAnswer[]> {
  const snapshot = await loadSnapshot(s, t, d.matchKeys, planReads(jobs));
  const { writes, answers } = planBatch(jobs, snapshot);
  await writeBatch(s, t, d.matchKeys, writes);
  return answers;
}

/**
 * True when retrying message by message cannot help: the connection is gone, or a statement ran
 * out of time (the database is stuck or overloaded; one more transaction would only wait again).
 */
function isBatchWide(d: Dialect, err: unknown): boolean {
  return d.isConnectionError(err) || isGregorError(err, 'GREGOR_ERR_TIMEOUT');
}

const failed = (err: unknown): PlanAnswer => ({
  ok: false,
  error: toStorageError(err, 'consume'),
});

async function applyEachUnderSavepoint(
  d: Dialect,
  t: TableNames,
  jobs: readonly ConsumeJob[],
): Promise<PlanAnswer[]> {
  return d.transaction(async (s) => {
    const outcomes: PlanAnswer[] = [];
    for (const job of jobs) {
      await s.run('SAVEPOINT gregor_consume');
      try {
        const [outcome] = await applyJobs(d, s, t, [job]);
        await s.run('RELEASE SAVEPOINT gregor_consume');
        outcomes.push(outcome!);
      } catch (err) {
        if (isBatchWide(d, err)) throw err;
        await s.run('ROLLBACK TO SAVEPOINT gregor_consume');
        await s.run('RELEASE SAVEPOINT gregor_consume');
        outcomes.push(failed(err));
      }
    }
    return outcomes;
  });
}

/** Commit `jobs` durably; see the file header. Never rejects: failures are per-job outcomes. */
export async function commitConsumes(
  d: Dialect,
  t: TableNames,
  jobs: ConsumeJob[],
): Promise<PlanAnswer[]> {
  let error: unknown;
  try {
    return await retryOnConnectionLoss(d, () => d.transaction((s) => applyJobs(d, s, t, jobs)));
  } catch (err) {
    error = err;
  }
  if (jobs.length === 1 || isBatchWide(d, error)) return jobs.map(() => failed(error));
  try {
    return await applyEachUnderSavepoint(d, t, jobs);
  } catch (err) {
    return jobs.map(() => failed(err));
  }
}
