/**
 * gregord as a real child process (`node --import tsx packages/server/src/cli/gregord.ts …`) for the scale-out
 * tests and benchmark: started on 127.0.0.1 port 0 with mock auth (or signed tokens), its bound
 * ports read from its JSON log, and killed, frozen or stopped on demand.
 *
 * No child outlives the test process: every one runs with `--child-mode` on a stdin pipe (the
 * pipe closes when this process dies, however it dies, and gregord stops), and an 'exit' hook
 * SIGKILLs whatever is still running. Tests still stop them in `after`/`finally`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { CHILD_NODE_OPTIONS } from '../../helpers/child-env.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
/** How long a start, a log line or a stop may take before the helper gives up. */
export const PROCESS_STEP_TIMEOUT_MS = 30_000;

/** One pino JSON line of a gregord. */
export interface LogLine {
  msg?: string;
  pid?: number;
  [key: string]: unknown;
}

/** How to start one gregord. */
export interface GregordProcessOptions {
  /**
   * `--storage`: a postgres:// or mysql:// URL shared by the cluster (or `memory:`). Absent: the
   * embedded default, SQLite under `--data-dir` (pass one in `args`).
   */
  storage?: string;
  /** `--redis-url`; absent: the in-process bus. */
  redisUrl?: string;
  /** More flags, e.g. `['--workers', '2']`. */
  args?: readonly string[];
  /** Names the process in failure messages. */
  name?: string;
  /** Also listen on HTTP (/readyz, /metrics). @default true */
  http?: boolean;
  /** Check signed tokens with this secret (GREGOR_TOKEN_SECRET) instead of `--mock-auth`. */
  tokenSecret?: string;
  /**
   * A prebuilt gregord bundle that node runs without tsx (test/reliability/gregord-bundle.ts):
   * for loops that start gregord hundreds of times. @default packages/server/src/cli/gregord.ts through tsx
   */
  script?: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function waitFor<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A running gregord child process and everything it logged. */
export class GregordProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #tcpPort = 0;
  #httpPort: number | undefined;
  #wakers: (() => void)[] = [];

  private constructor(options: GregordProcessOptions) {
    this.name = options.name ?? 'gregord';
    const args = [
      ...(options.script === undefined
        ? ['--import', TSX, `${ROOT}packages/server/src/cli/gregord.ts`]
        : [options.script]),
      '--child-mode',
      ...(options.tokenSecret === undefined ? ['--mock-auth'] : []),
      ...(options.storage === undefined ? [] : ['--storage', options.storage]),
      '--bind-address',
      '127.0.0.1:0',
      '--http-address',
      options.http === false ? 'off' : '127.0.0.1:0',
      ...(options.redisUrl === undefined ? [] : ['--redis-url', options.redisUrl]),
      ...(options.args ?? []),
    ];
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        DEBUG: '',
        // A given script is built or installed JavaScript: it resolves packages as users do.
        NODE_OPTIONS: options.script === undefined ? CHILD_NODE_OPTIONS : '',
        GREGOR_TOKEN_SECRET: options.tokenSecret ?? '',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this.child);
    // A test that SIGKILLs the child closes this pipe's other end; the write error is expected.
    this.child.stdin!.on('error', () => {});
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.#onLine(line));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        this.#wake();
        resolve({ code, signal });
      });
    });
  }

  /** Start a gregord and wait until its listeners are bound. */
  static async start(options: GregordProcessOptions): Promise<GregordProcess> {
    const gregord = new GregordProcess(options);
    try {
      const tcp = await gregord.waitForLog(/listening for framed msgpack-rpc/);
      gregord.#tcpPort = (tcp.tcp as { port: number }).port;
      if (options.http !== false) {
        const http = await gregord.waitForLog(/listening for WebSocket and HTTP/);
        gregord.#httpPort = (http.http as { port: number }).port;
      }
    } catch (err) {
      await gregord.kill();
      throw err;
    }
    return gregord;
  }

  /** Start `count` gregords at once, named `<prefix>0`, `<prefix>1`, …; all or none. */
  static async startMany(
    count: number,
    options: GregordProcessOptions,
    prefix = 'gregord-',
  ): Promise<GregordProcess[]> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        GregordProcess.start({ ...options, name: `${prefix}${i}` }),
      ),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed === undefined) return started.map((s) => (s as PromiseFulfilledResult<never>).value);
    await stopAll(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    throw failed.reason;
  }

  /** The bound framed msgpack-rpc port. */
  get tcpPort(): number {
    return this.#tcpPort;
  }

  /** The bound HTTP port (undefined with `http: false`). */
  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  /** True until the process has exited. */
  get isAlive(): boolean {
    return isAlive(this.child);
  }

  /** The last few KB of stderr, for failure messages. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Log lines whose msg matches `pattern`, so far. */
  logsMatching(pattern: RegExp): LogLine[] {
    return this.logs.filter((l) => pattern.test(String(l.msg)));
  }

  /** The first log line whose msg matches `pattern`, waiting for it (bounded). */
  async waitForLog(pattern: RegExp, timeoutMs = PROCESS_STEP_TIMEOUT_MS): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find((l) => pattern.test(String(l.msg)));
      if (found !== undefined) return found;
      if (!this.isAlive || Date.now() > deadline) {
        throw new Error(
          `${this.name}: no log ${pattern} (exit ${this.child.exitCode ?? this.child.signalCode}); stderr: ${this.#stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#wakers.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }

  /** SIGKILL (a crash) and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.isAlive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Freeze the process (SIGSTOP): its sockets stay open, nothing is answered. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** Thaw a frozen process (SIGCONT). */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM); SIGKILL if it takes too long. Resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.isAlive) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGTERM');
    }
    try {
      return (await waitFor(`${this.name} to stop`, this.exited, PROCESS_STEP_TIMEOUT_MS)).code;
    } catch {
      await this.kill();
      return null;
    }
  }

  #onLine(line: string): void {
    if (line.startsWith('{')) {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        // Not one of pino's lines; only JSON lines are kept.
      }
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }
}

/** Stop every given process, in parallel, never rejecting. */
export async function stopAll(processes: readonly GregordProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop().catch(() => p.kill())));
}

/** GET `path` on 127.0.0.1:`port` without keep-alive; resolves with the status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** True while `pid` runs (a zombie, waiting to be reaped by whoever adopted it, has ended). */
export function isProcessRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves true once every pid has ended, false if one still runs after `boundMs`. */
export async function allProcessesEnd(pids: readonly number[], boundMs: number): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (!pids.some(isProcessRunning)) return true;
    await delay(100);
  }
  return !pids.some(isProcessRunning);
}
