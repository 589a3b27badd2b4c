/**
 * Private, throw-away PostgreSQL and MariaDB servers for the database-fault scenario: the shared
 * servers on 5432 and 3306 serve everyone's tests and must never be stopped or frozen, so this
 * one initialises a data directory in a temp dir and runs its own server on a free loopback port.
 *
 * Each server runs in a process group of its own (spawned detached), so `freeze()` stops every
 * process of it (a PostgreSQL postmaster and its backends) and nothing of it outlives this
 * process: an exit hook and a watcher shell (watchOver) kill the group.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort, watchOver } from '../unit/pubsub/private-redis-server.js';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** The owner a server process runs as: PostgreSQL refuses to run as root. */
interface RunAs {
  uid: number;
  gid: number;
}

function userIds(name: string): RunAs {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** What differs between PostgreSQL and MariaDB. */
interface Flavour {
  /** Initialise the data directory in `dir` (once). */
  init(dir: string, runAs: RunAs | undefined): void;
  /** The server's executable and arguments. */
  command(dir: string, port: number): { bin: string; args: string[] };
  /** The signal of a clean, fast stop. */
  stopSignal: NodeJS.Signals;
  /** Resolves when a query is answered (rejects otherwise). */
  probe(port: number): Promise<void>;
  /** Create the database gregord uses and return its URL. */
  createDatabase(port: number): Promise<string>;
}

function postgresBinDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

const POSTGRES: Flavour = {
  init(dir, runAs) {
    execFileSync(
      join(postgresBinDir(), 'initdb'),
      ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
      { stdio: 'ignore', ...runAs },
    );
  },
  command(dir, port) {
    // fsync=off: the faults here are of processes, not of the machine; a commit still reaches
    // the kernel before PostgreSQL answers it.
    return {
      bin: join(postgresBinDir(), 'postgres'),
      args: [
        ...['-D', join(dir, 'data'), '-p', String(port), '-k', dir],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB'],
      ],
    };
  },
  // SIGINT is PostgreSQL's fast shutdown (pg_ctl stop -m fast); SIGTERM would wait for every
  // client, and gregord's pool never leaves.
  stopSignal: 'SIGINT',
  async probe(port) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  },
  async createDatabase(port) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    await client.query('CREATE DATABASE gregor');
    await client.end();
    return `postgres://postgres@127.0.0.1:${port}/gregor`;
  },
};

const MARIADB: Flavour = {
  init(dir, runAs) {
    execFileSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...(runAs === undefined ? [] : ['--user=root']),
      ],
      { stdio: 'ignore' },
    );
  },
  command(dir, port) {
    return {
      bin: 'mariadbd',
      args: [
        // --no-defaults first: /etc/mysql's files name the shared server's datadir and port.
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--log-error=${join(dir, 'error.log')}`,
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ],
    };
  },
  stopSignal: 'SIGTERM',
  async probe(port) {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end().catch(() => {});
    }
  },
  async createDatabase(port) {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
    await conn.query('CREATE DATABASE gregor');
    await conn.end();
    return `mysql://root@127.0.0.1:${port}/gregor`;
  },
};

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the command, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** The engines a private server can be started for. */
export const PRIVATE_DATABASES = { postgres: POSTGRES, mysql: MARIADB } as const;
export type PrivateDatabaseKind = keyof typeof PRIVATE_DATABASES;

/** One private database server that can be stopped, frozen and restarted on the same port. */
export class PrivateDatabase {
  readonly kind: PrivateDatabaseKind;
  readonly port: number;
  readonly dir: string;
  /** The URL of the `gregor` database on it (set by start). */
  url = '';
  readonly #flavour: Flavour;
  readonly #runAs: RunAs | undefined;
  #child: ChildProcess | undefined;
  readonly #killOnExit = (): void => this.#signalGroup('SIGKILL');

  private constructor(kind: PrivateDatabaseKind, port: number) {
    this.kind = kind;
    this.port = port;
    this.#flavour = PRIVATE_DATABASES[kind];
    this.dir = mkdtempSync(join(tmpdir(), `gregor-${kind}-`));
    // PostgreSQL refuses root; as root, its directory and process belong to the postgres user.
    this.#runAs = kind === 'postgres' && process.getuid?.() === 0 ? userIds('postgres') : undefined;
    if (this.#runAs !== undefined) chownSync(this.dir, this.#runAs.uid, this.#runAs.gid);
    process.once('exit', this.#killOnExit);
  }

  /** Initialise, start, and create the `gregor` database. */
  static async start(kind: PrivateDatabaseKind): Promise<PrivateDatabase> {
    const db = new PrivateDatabase(kind, await freePort());
    try {
      db.#flavour.init(db.dir, db.#runAs);
      await db.restart();
      db.url = await db.#flavour.createDatabase(db.port);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return db;
  }

  /** True while the server process runs (frozen or not). */
  get isRunning(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Start the server again on the same port and data; resolves once it answers a query. */
  async restart(): Promise<void> {
    if (this.isRunning) return;
    const { bin, args } = this.#flavour.command(this.dir, this.port);
    const log = openSync(join(this.dir, 'server.log'), 'a');
    if (this.#runAs !== undefined)
      chownSync(join(this.dir, 'server.log'), this.#runAs.uid, this.#runAs.gid);
    const child = spawn(bin, args, {
      cwd: this.dir,
      detached: true,
      stdio: ['ignore', log, log],
      ...this.#runAs,
    });
    closeSync(log);
    this.#child = child;
    watchOver(child.pid, true);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await this.#flavour.probe(this.port);
        return;
      } catch (err) {
        if (!this.isRunning || Date.now() > deadline) {
          this.#signalGroup('SIGKILL');
          throw new Error(`${this.kind} did not start on port ${this.port} (${this.dir}): ${err}`);
        }
        await delay(100);
      }
    }
  }

  /** A clean, fast stop (PostgreSQL: fast shutdown; MariaDB: SIGTERM); waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.isRunning) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#signalGroup('SIGCONT');
    child.kill(this.#flavour.stopSignal);
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Freeze every process of the server (SIGSTOP): connections stay open, nothing answers. */
  freeze(): void {
    this.#signalGroup('SIGSTOP');
  }

  /** Thaw a frozen server (SIGCONT). */
  thaw(): void {
    this.#signalGroup('SIGCONT');
  }

  /** Kill the server for good and remove its directory. Idempotent. */
  async destroy(): Promise<void> {
    const child = this.#child;
    if (child !== undefined && this.isRunning) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.#signalGroup('SIGKILL');
      await exited;
    }
    process.removeListener('exit', this.#killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Signal the server's process group and every child of its main process: PostgreSQL's
   * backends call setsid() and leave the postmaster's group, so a group signal alone would
   * freeze the postmaster and leave every open connection answering.
   */
  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    for (const target of [-pid, ...childrenOf(pid)]) {
      try {
        process.kill(target, signal);
      } catch {
        // Gone already.
      }
    }
  }
}
