/**
 * A SQLite file's write connection, in a worker thread (sqlite-writer-worker.ts). better-sqlite3
 * is synchronous: on the main thread, every COMMIT's fsync (milliseconds on a real disk) would stop
 * every socket of the server meanwhile. Here a batch of consumes is one message to the worker,
 * which reads, plans, writes and commits it, and its outcomes one message back; the statements of
 * other write transactions go one message each. The main thread goes on serving while the disk
 * works (and planning uses the other core), and the group commit gathers the consumes that arrive
 * meanwhile into the next batch.
 *
 * From the repository's sources (no `dist/`), the worker loads its TypeScript through tsx and the
 * `gregor-source` export condition, which the main thread may have registered in a way a worker
 * does not inherit: a small bootstrap registers both in the worker first.
 */
import { Worker } from 'node:worker_threads';
import { type ErrorCode, gregorError } from 'gregor-client/errors';
import type { ConsumeJob, LoggedAnswer, PlanAnswer } from './consume-plan.js';
import type { SqlRow, SqlSession, SqlValue } from './dialect.js';
import type { TableNames } from './schema.js';

/** What the worker opens. */
export interface WriterSetup {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

/** One request to the worker, without its id. */
type Request =
  | { readonly op: 'commit'; readonly tables: TableNames; readonly jobs: ConsumeJob[] }
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'query' | 'run'; readonly sql: string; readonly params: readonly SqlValue[] }
  | { readonly op: 'close' };

/** One request to the worker. */
export type WriterRequest = Request & { readonly id: number };

/** A driver error as it crosses threads: its message and its code (SQLITE_BUSY…). */
export interface DriverErrorInfo {
  readonly message: string;
  readonly code?: string;
}

/** The worker's answer to request `id` (id 0: the file is open). */
export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: DriverErrorInfo };

/** A consume's outcome as it crosses threads: an error as its registry code and message. */
export type CommitOutcome =
  | { readonly ok: true; readonly value: LoggedAnswer }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: ErrorCode;
        readonly message: string;
        readonly cause?: DriverErrorInfo;
      };
    };

/** The request id of the worker's first message: the connection is open and set up. */
const READY_ID = 0;

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A SQLite driver error as the worker reported it, with its code (SQLITE_BUSY…). */
class SqliteWorkerError extends Error {
  readonly code: string | undefined;

  constructor({ message, code }: DriverErrorInfo) {
    super(message);
    this.name = 'SqliteError';
    this.code = code;
  }
}

/** Adds the `gregor-source` export condition to every resolution (as bin/launch.js does). */
const SOURCE_CONDITION_HOOK = `data:text/javascript,${encodeURIComponent(
  'export function resolve(specifier, context, next) {' +
    " return next(specifier, { ...context, conditions: [...context.conditions, 'gregor-source'] });" +
    ' }',
)}`;

function startWorker(setup: WriterSetup): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-writer-worker.js', self), { workerData: setup });
  }
  const entry = new URL('./sqlite-writer-worker.ts', self).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `require('node:module').register(${JSON.stringify(SOURCE_CONDITION_HOOK)});` +
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

/** The write connection in its worker; see the file header. */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #session: SqlSession;
  #nextId = READY_ID + 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: WriterReply) => this.#settle(reply));
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) =>
      this.#fail(new Error(`the SQLite writer thread exited (code ${code})`)),
    );
    this.#session = {
      query: (sql, params = []) => this.#call({ op: 'query', sql, params }) as Promise<SqlRow[]>,
      run: (sql, params = []) => this.#call({ op: 'run', sql, params }) as Promise<number>,
    };
  }

  /** Open `setup.path` in a new worker; rejects with the driver's error when it cannot. */
  static async start(setup: WriterSetup): Promise<SqliteWriterThread> {
    const thread = new SqliteWriterThread(startWorker(setup));
    try {
      await new Promise((resolve, reject) => thread.#pending.set(READY_ID, { resolve, reject }));
    } catch (err) {
      await thread.#worker.terminate();
      throw err;
    }
    // A worker that is only waiting for requests must not keep the process alive.
    thread.#worker.unref();
    return thread;
  }

  /** The session the statements of a transaction run on. */
  get session(): SqlSession {
    return this.#session;
  }

  /** Commit `jobs` in the worker (commitConsumes there); one outcome per job, in order. */
  async commitConsumes(tables: TableNames, jobs: ConsumeJob[]): Promise<PlanAnswer[]> {
    const outcomes = (await this.#call({ op: 'commit', tables, jobs })) as CommitOutcome[];
    return outcomes.map((o) => {
      if (o.ok) return o;
      const { code, message, cause } = o.error;
      const options = cause === undefined ? {} : { cause: new SqliteWorkerError(cause) };
      return { ok: false, error: gregorError(code, message, options) };
    });
  }

  /** Run `sql` without parameters or rows (BEGIN, COMMIT, ROLLBACK). */
  exec(sql: string): Promise<void> {
    return this.#call({ op: 'exec', sql }) as Promise<void>;
  }

  /** Close the connection (a checkpoint of the WAL) and end the worker. */
  async close(): Promise<void> {
    if (this.#failure === undefined) await this.#call({ op: 'close' });
    await this.#worker.terminate();
  }

  #call(request: Request): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    // The worker is referenced while an answer is awaited, so a pending write keeps the process up.
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id } as WriterRequest);
    });
  }

  #settle(reply: WriterReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0 && reply.id !== READY_ID) this.#worker.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new SqliteWorkerError(reply.error));
  }

  /** The worker died: every waiting statement fails, and so does every later one. */
  #fail(err: Error): void {
    this.#failure ??= gregorError('GREGOR_ERR_STORAGE_FAILED', 'the SQLite writer thread stopped', {
      cause: err,
    });
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
