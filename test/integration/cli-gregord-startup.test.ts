// gregord's start, as a new user meets it: every failure is one stderr line naming the cause and
// the option to fix, with the documented exit code, no stack trace, and no file left behind; the
// files it creates are 0600 whatever the umask; a token secret others can read is refused; a
// read-only data directory holding a valid secret starts. The real process, the real PostgreSQL
// and a refused Redis port; permissions are tried as an unprivileged user when the tests run as
// root (root ignores file modes).
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { METHODS, toHex } from '../../packages/client/src/protocol/index.js';
import { connectTcp } from '../../packages/client/src/rpc/index.js';
import { POSTGRES_URL, serviceSkipReason } from '../helpers/services.js';
import {
  CliProcess,
  type CliProcessOptions,
  LOOPBACK_PORT_0,
  tcpPort,
} from './helpers/cli-process.js';

const UID_HEX = '000102030405060708090a0b0c0d0e0f';
const SECRET = 'x'.repeat(32);
/** An unprivileged user for permission cases when the tests run as root. */
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;

/** A port nothing listens on: bound, then closed. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Assert a failed start: the exit code, one stderr line matching `line`, no stack anywhere. */
async function assertFailedStart(gregord: CliProcess, code: number, line: RegExp): Promise<void> {
  assert.equal(await gregord.exitCode(), code, gregord.stderr);
  const lines = gregord.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${gregord.stderr}`);
  assert.match(lines[0] as string, line);
  assert.match(lines[0] as string, new RegExp(`\\(exit ${code}\\)$`));
  assert.doesNotMatch(gregord.stderr + gregord.stdout, /\n\s+at |"stack"/);
}

/** What one test starts and makes, cleaned up when it ends (the tests run concurrently). */
function fixture(t: TestContext) {
  const processes: CliProcess[] = [];
  const dirs: string[] = [];
  t.after(async () => {
    for (const p of processes) {
      p.kill();
      await p.exited;
    }
    for (const dir of dirs) {
      chmodSync(dir, 0o700);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const command = (script: string, args: string[], options?: CliProcessOptions): CliProcess => {
    const p = new CliProcess(script, args, options);
    processes.push(p);
    return p;
  };
  return {
    run: (args: string[], options?: CliProcessOptions) => command('gregord.ts', args, options),
    command,
    /** A fresh directory; owned by the unprivileged user when `forNobody` and running as root. */
    tempDir: (forNobody = false): string => {
      const dir = mkdtempSync(join(tmpdir(), 'gregord-start-'));
      dirs.push(dir);
      if (forNobody && isRoot) chownSync(dir, NOBODY.uid, NOBODY.gid);
      return dir;
    },
  };
}

const unprivileged = (cwd: string): CliProcessOptions => ({
  cwd,
  ...(isRoot ? { user: NOBODY } : {}),
});

// Each case is a process start of its own; a few run side by side to keep the file short.
describe('gregord startup: failures, files and modes', { concurrency: 3 }, () => {
  it('--data-dir naming a regular file: exit 3, "not a directory", --data-dir', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'afile'), '');
    const gregord = run(['--data-dir', 'afile', ...LOOPBACK_PORT_0], { cwd });
    await assertFailedStart(
      gregord,
      3,
      /^gregord: the data directory "afile": it exists and is not a directory; check --data-dir \(GREGOR_DATA_DIR\)/,
    );
    assert.deepEqual(readdirSync(cwd), ['afile']);
  });

  it('a missing PostgreSQL database: exit 3, "database X does not exist", --storage, no token secret left', async (t) => {
    const { run, tempDir } = fixture(t);
    const skip = await serviceSkipReason('postgres');
    if (skip !== undefined) return t.skip(skip);
    const url = new URL(POSTGRES_URL);
    url.pathname = '/gregor_no_such_database';
    const cwd = tempDir();
    // No --token-secret: the first start generates ./data/token-secret, and must take it back.
    const gregord = run(['--storage', url.toString(), ...LOOPBACK_PORT_0], { cwd });
    await assertFailedStart(
      gregord,
      3,
      /database "gregor_no_such_database" does not exist; check --storage \(GREGOR_STORAGE\)/,
    );
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('a refused database connection: exit 3, "connection refused", --storage', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const port = await refusedPort();
    const gregord = run(
      ['--storage', `postgres://postgres@127.0.0.1:${port}/test`, ...LOOPBACK_PORT_0],
      { cwd },
    );
    await assertFailedStart(
      gregord,
      3,
      new RegExp(
        `storage postgres://postgres@127\\.0\\.0\\.1:${port}/test: connection refused .*; check --storage`,
      ),
    );
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('a refused Redis: exit 3, one line naming --redis-url, no retry warnings, no SQLite file left', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const port = await refusedPort();
    // The embedded SQLite storage is created before the bus is tried: it must go again too.
    const gregord = run(['--redis-url', `redis://127.0.0.1:${port}`, ...LOOPBACK_PORT_0], { cwd });
    await assertFailedStart(
      gregord,
      3,
      new RegExp(
        `redis redis://127\\.0\\.0\\.1:${port}: connection refused .*; check --redis-url \\(REDIS_URL\\)`,
      ),
    );
    assert.deepEqual(
      gregord.logs.filter((l) => (l.level as number) >= 40 && (l.level as number) < 60),
      [],
    );
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('a refused Redis Cluster: exit 3, one line naming --redis-cluster-nodes, no retry warnings', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const port = await refusedPort();
    const nodes = `127.0.0.1:${port}`;
    const gregord = run(['--redis-cluster-nodes', nodes, ...LOOPBACK_PORT_0], { cwd });
    await assertFailedStart(
      gregord,
      3,
      new RegExp(
        `redis cluster 127\\.0\\.0\\.1:${port}: connection refused .*; check --redis-cluster-nodes \\(GREGOR_REDIS_CLUSTER_NODES\\)`,
      ),
    );
    assert.deepEqual(
      gregord.logs.filter((l) => (l.level as number) >= 40 && (l.level as number) < 60),
      [],
    );
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('an address in use: exit 4, "address already in use", --bind-address', async (t) => {
    const { run, tempDir } = fixture(t);
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const cwd = tempDir();
      const gregord = run(
        ['--bind-address', `127.0.0.1:${port}`, '--http-address', '127.0.0.1:0'],
        { cwd },
      );
      await assertFailedStart(
        gregord,
        4,
        new RegExp(
          `cannot listen on 127\\.0\\.0\\.1:${port}: address already in use .*; check --bind-address \\(BIND_ADDRESS\\)`,
        ),
      );
      assert.deepEqual(readdirSync(cwd), []);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('a certificate file that is not a certificate: exit 1, naming --tls-cert and --tls-key', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const bad = join(cwd, 'bad.pem');
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const gregord = run(
      ['--storage', 'memory:', '--tls-cert', bad, '--tls-key', bad, ...LOOPBACK_PORT_0],
      { cwd, env: { GREGOR_TOKEN_SECRET: SECRET } },
    );
    await assertFailedStart(
      gregord,
      1,
      /the TLS certificate and key: .*; check --tls-cert \(TLS_CERT\) or --tls-key \(TLS_KEY\)/,
    );
  });

  it('an unwritable data directory: exit 3, naming the directory and --data-dir', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir(true);
    const dataDir = join(cwd, 'data');
    mkdirSync(dataDir, { mode: 0o555 });
    if (isRoot) chownSync(dataDir, NOBODY.uid, NOBODY.gid);
    chmodSync(dataDir, 0o555);
    const gregord = run(['--data-dir', dataDir, ...LOOPBACK_PORT_0], unprivileged(cwd));
    await assertFailedStart(
      gregord,
      3,
      /cannot create the token secret .*data\/token-secret: EACCES; check --data-dir \(GREGOR_DATA_DIR\)/,
    );
    assert.deepEqual(readdirSync(dataDir), []);
  });

  it('creates the SQLite files and the token secret 0600 (data dir 0700) under umask 000', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const gregord = run(LOOPBACK_PORT_0, { cwd, umask: 0 });
    await tcpPort(gregord);
    const data = join(cwd, 'data');
    assert.equal(statSync(data).mode & 0o777, 0o700);
    const files = readdirSync(data).sort();
    assert.deepEqual(files, ['gregor.db', 'gregor.db-shm', 'gregor.db-wal', 'token-secret']);
    for (const file of files) {
      assert.equal((statSync(join(data, file)).mode & 0o777).toString(8), '600', file);
    }
  });

  it('refuses a token secret its group can read, naming the file and chmod 600', async (t) => {
    const { run, tempDir } = fixture(t);
    const cwd = tempDir();
    const data = join(cwd, 'data');
    mkdirSync(data);
    const secretFile = join(data, 'token-secret');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o640 });
    chmodSync(secretFile, 0o640);
    const gregord = run(['--storage', 'memory:', ...LOOPBACK_PORT_0], { cwd });
    await assertFailedStart(
      gregord,
      3,
      /the token secret data\/token-secret can be read by its group or others \(mode 0640\); run chmod 600 data\/token-secret/,
    );
    assert.equal(statSync(secretFile).mode & 0o777, 0o640);
  });

  it('starts on a read-only data directory holding a valid 0600 secret, and its tokens log in', async (t) => {
    const { run, tempDir, command } = fixture(t);
    const cwd = tempDir(true);
    const secrets = join(cwd, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'token-secret'), `${SECRET}\n`, { mode: 0o600 });
    if (isRoot) {
      chownSync(secrets, NOBODY.uid, NOBODY.gid);
      chownSync(join(secrets, 'token-secret'), NOBODY.uid, NOBODY.gid);
    }
    chmodSync(secrets, 0o555);
    const gregord = run(
      ['--data-dir', secrets, '--storage', 'memory:', ...LOOPBACK_PORT_0],
      unprivileged(cwd),
    );
    const port = await tcpPort(gregord);
    const mint = command('gregor.ts', ['token', '--uid', UID_HEX, '--data-dir', secrets]);
    assert.equal(await mint.exitCode(), 0, mint.stderr);
    const session = await connectTcp({ host: '127.0.0.1', port });
    try {
      const login = METHODS.authenticateSessionToken;
      const result = login.decodeResult(
        await session.call(login.name, login.encodeArg({ session: mint.stdout.trim() })),
      );
      assert.equal(toHex(result.uid), UID_HEX);
    } finally {
      session.close();
      await session.closed();
    }
    assert.deepEqual(readdirSync(secrets), ['token-secret']);
  });
});
