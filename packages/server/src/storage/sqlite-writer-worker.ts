/**
 * The worker thread that owns a SQLite file's write connection (sqlite-writer-thread.ts). Every
 * write runs here, COMMIT's fsync included, so that the main thread, which serves every socket,
 * never waits on the disk. Two kinds of requests, one at a time in arrival order:
 * - a whole batch of consumes (`commit`): read, planned and written here by the same
 *   `commitConsumes` as on the other databases, one message in and one out per batch;
 * - single statements (`exec`, `query`, `run`) of the other write transactions (reminder locks,
 *   migrations), which the main thread sends one after another.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { isGregorError } from 'gregor-client/errors';
import { commitConsumes } from './consume-commit.js';
import type { PlanAnswer } from './consume-plan.js';
import type { SqlValue } from './dialect.js';
import { SqliteDialect } from './dialect-sqlite.js';
import type {
  CommitOutcome,
  DriverErrorInfo,
  WriterReply,
  WriterRequest,
  WriterSetup,
} from './sqlite-writer-thread.js';

const setup = workerData as WriterSetup;
const db = new Database(setup.path);
db.pragma(`busy_timeout = ${setup.busyTimeoutMs}`);
db.pragma('journal_mode = WAL');
// COMMIT returns only once the WAL is fsynced: a caller is answered only once its write is durable.
db.pragma('synchronous = FULL');
const dialect = SqliteDialect.onConnection(db);
const session = dialect.writerSession;

/** A driver error as it crosses to the main thread: its message and code. */
function driverError(err: unknown): DriverErrorInfo | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return { message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** An outcome as it crosses to the main thread: an error as its code, message and cause. */
function portable(outcome: PlanAnswer): CommitOutcome {
  if (outcome.ok) return outcome;
  const err = outcome.error;
  const cause = driverError(isGregorError(err) ? err.cause : err);
  return {
    ok: false,
    error: {
      ...(isGregorError(err)
        ? { code: err.code, message: err.message }
        : { code: 'GREGOR_ERR_STORAGE_FAILED', message: 'storage: consume failed' }),
      ...(cause === undefined ? {} : { cause }),
    },
  };
}

async function answer(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'commit':
      return (await commitConsumes(dialect, request.tables, request.jobs)).map(portable);
    case 'exec':
      return dialect.exec(request.sql);
    case 'query':
      return session.query(request.sql, request.params as readonly SqlValue[]);
    case 'run':
      return session.run(request.sql, request.params as readonly SqlValue[]);
    case 'close':
      return dialect.close();
  }
}

// Requests run one after another: the next starts when the last has answered.
let turn: Promise<void> = Promise.resolve();
parentPort!.on('message', (request: WriterRequest) => {
  turn = turn.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, value: await answer(request) };
    } catch (err) {
      reply = { id: request.id, ok: false, error: driverError(err) ?? { message: String(err) } };
    }
    parentPort!.postMessage(reply);
  });
});
parentPort!.postMessage({ id: 0, ok: true, value: null } satisfies WriterReply);
