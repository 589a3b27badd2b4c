/**
 * A private, throw-away `redis-server` for fault tests and benchmarks. The shared Redis on 6379 is
 * used by other suites and must never be stopped, so anything that kills Redis (or fills it with
 * 100k channels) starts its own on a free loopback port, and always stops it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Where the Debian package installs the server. */
export const REDIS_SERVER_BIN = process.env.GREGOR_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

const DEFAULT_START_TIMEOUT_MS = 5000;

/** Ask the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Kill a server if this process dies without cleaning up (SIGKILL, a runner timeout): an
 * 'exit' handler does not run then. A detached shell polls both pids and goes away with either.
 * With `isGroup`, `serverPid` leads a process group (spawned `detached`) and the whole group is
 * killed: a PostgreSQL postmaster's backends too.
 */
export function watchOver(serverPid: number | undefined, isGroup = false): void {
  if (serverPid === undefined) return;
  const target = isGroup ? '-- "-$1"' : '"$1"';
  const script = `while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 0.5; done; kill -9 ${target} 2>/dev/null`;
  spawn('/bin/sh', ['-c', script, String(process.pid), String(serverPid)], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

/** How to configure a private server beyond the defaults. */
export interface PrivateRedisOptions {
  /** More redis-server arguments, e.g. `['--requirepass', 'pw']` or an ACL `--user …`. */
  args?: readonly string[];
  /** Serve TLS only on the port (`rediss://`), with these PEM files. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** Listen on this port instead of a free one the kernel picks. */
  port?: number;
}

/** One private redis-server process that can be killed and restarted on the same port. */
export class PrivateRedisServer {
  readonly port: number;
  readonly #options: PrivateRedisOptions;
  #child: ChildProcess | undefined;
  readonly #dir: string;
  readonly #killOnExit = (): void => {
    this.#child?.kill('SIGKILL');
  };

  private constructor(port: number, options: PrivateRedisOptions) {
    this.port = port;
    this.#options = options;
    this.#dir = mkdtempSync(join(tmpdir(), 'gregor-redis-'));
    // If the test process dies without running its `after` hook, do not leave a server behind.
    process.once('exit', this.#killOnExit);
  }

  /** Start a server on a free port and wait until it accepts connections. */
  static async start(
    timeoutMs = DEFAULT_START_TIMEOUT_MS,
    options: PrivateRedisOptions = {},
  ): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(options.port ?? (await freePort()), options);
    try {
      await server.restart(timeoutMs);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** `redis://127.0.0.1:<port>`, or `rediss://…` when it serves TLS. */
  get url(): string {
    return `${this.#options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** The redis-server arguments: the port (plain or TLS), no persistence, the extra ones. */
  #args(): string[] {
    const { tls, args = [] } = this.#options;
    const port = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-ca-cert-file',
          tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(this.port)];
    return [...port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args];
  }

  /** The process id while it runs (for benchmarks that report its CPU). */
  get pid(): number | undefined {
    return this.isRunning ? this.#child?.pid : undefined;
  }

  /** True while the process is running. */
  get isRunning(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** (Re)start the server on the same port; resolves once it accepts connections. */
  async restart(timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<void> {
    if (this.isRunning) return;
    const child = spawn(REDIS_SERVER_BIN, this.#args(), { cwd: this.#dir, stdio: 'ignore' });
    this.#child = child;
    watchOver(child.pid);
    const deadline = Date.now() + timeoutMs;
    while (!(await answers(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${this.port}`);
      }
      await delay(20);
    }
  }

  /** Kill the server abruptly (SIGKILL, as a crash would) and wait for the process to go. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.isRunning) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freeze the server (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Thaw a paused server (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Kill the server for good and remove its directory. Idempotent. */
  async stop(): Promise<void> {
    await this.kill();
    process.removeListener('exit', this.#killOnExit);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
