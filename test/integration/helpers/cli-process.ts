/**
 * The `gregord` and `gregor` commands as real processes (`node --import tsx src/cli/…`), with
 * their JSON log lines, stdout and stderr collected, for the tests of the command line: exit
 * codes, startup messages, files left on disk. Unlike gregord-process.ts, nothing is added to
 * the arguments: the test gives exactly what a user would type.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CHILD_NODE_OPTIONS } from '../../helpers/child-env.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
/** How long one step (a log line, an exit) may take before the test gives up. */
export const STEP_TIMEOUT_MS = 45_000;
/** Both listeners on a free loopback port. */
export const LOOPBACK_PORT_0 = ['--bind-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0'];

/** One pino JSON line. */
export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

/** How to run one command. */
export interface CliProcessOptions {
  /** @default the repository root */
  cwd?: string;
  /** @default 'ignore' */
  stdin?: 'pipe' | 'ignore';
  /** Variables added to (or, when undefined, removed from) this process's environment. */
  env?: Record<string, string | undefined>;
  /** Run as this user and group (the test process must be root). */
  user?: { uid: number; gid: number };
  /** Start with this umask (through /bin/sh), e.g. 0 to prove modes do not depend on it. */
  umask?: number;
}

/** One CLI process with its JSON log lines and stderr collected. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];

  constructor(script: string, args: string[], options: CliProcessOptions = {}) {
    const command = [
      process.execPath,
      '--import',
      TSX,
      join(ROOT, 'packages/server/src/cli', script),
      ...args,
    ];
    const [file, argv] =
      options.umask === undefined
        ? [command[0] as string, command.slice(1)]
        : ['/bin/sh', ['-c', `umask ${options.umask.toString(8)} && exec "$@"`, 'sh', ...command]];
    const env: Record<string, string | undefined> = {
      ...process.env,
      DEBUG: '',
      NODE_OPTIONS: CHILD_NODE_OPTIONS,
      ...options.env,
    };
    this.child = spawn(file, argv, {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      ...(options.user ?? {}),
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.stdout += `${line}\n`;
      if (line.startsWith('{"level":')) this.logs.push(JSON.parse(line) as LogLine);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, signal });
      });
    });
  }

  /** The first log line whose msg matches, waiting for it (bounded). */
  async log(msg: RegExp): Promise<LogLine> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const found = this.logs.find((l) => msg.test(String(l.msg)));
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        assert.fail(
          `no log ${msg} (exit ${this.child.exitCode}); stderr: ${this.stderr}; stdout: ${this.stdout}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }

  /** The exit code, waiting for the process to end (bounded). */
  async exitCode(): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`no exit; stderr: ${this.stderr}`)),
        STEP_TIMEOUT_MS,
      ).unref(),
    );
    return (await Promise.race([this.exited, timeout])).code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The TCP port a running gregord logged. */
export async function tcpPort(gregord: CliProcess): Promise<number> {
  const line = await gregord.log(/listening for framed msgpack-rpc/);
  return (line.tcp as { port: number }).port;
}

/** The HTTP port a running gregord logged. */
export async function httpPort(gregord: CliProcess): Promise<number> {
  const line = await gregord.log(/listening for WebSocket and HTTP/);
  return (line.http as { port: number }).port;
}
