// The real `gregord` and `gregor` processes (node --import tsx src/cli/…): startup on the embedded
// default, exit codes (docs/configuration.md, "Exit codes"), graceful stops, and a minted token
// logging in over TCP. Every process is killed at the end of its test, even on failure.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { METHODS, toHex } from '../../packages/client/src/protocol/index.js';
import { connectTcp } from '../../packages/client/src/rpc/index.js';
import { eventually } from '../helpers/eventually.js';
import { REDIS_URL, serviceSkipReason } from '../helpers/services.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import {
  CliProcess,
  type CliProcessOptions,
  LOOPBACK_PORT_0,
  STEP_TIMEOUT_MS,
  tcpPort,
} from './helpers/cli-process.js';

const UID_HEX = '000102030405060708090a0b0c0d0e0f';

describe('gregord and gregor, as processes', () => {
  const processes: CliProcess[] = [];
  const dirs: string[] = [];
  const servers: Server[] = [];
  const run = (script: string, args: string[], options?: CliProcessOptions) => {
    const p = new CliProcess(script, args, options);
    processes.push(p);
    return p;
  };
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'gregord-cli-'));
    dirs.push(dir);
    return dir;
  };
  /** gregord on a fresh data dir (signed tokens), and `gregor token` for it. */
  const gregordWithTokens = async (storage: string[] = ['--storage', 'memory:']) => {
    const dataDir = join(tempDir(), 'data');
    const gregord = run('gregord.ts', [...storage, '--data-dir', dataDir, ...LOOPBACK_PORT_0]);
    const port = await tcpPort(gregord);
    const mint = async (who: string[]): Promise<string> => {
      const minted = run('gregor.ts', ['token', ...who, '--data-dir', dataDir]);
      assert.equal(await minted.exitCode(), 0, minted.stderr);
      return minted.stdout.trim();
    };
    return { dataDir, port, address: `127.0.0.1:${port}`, mint };
  };
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill();
      await p.exited;
    }
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts on the embedded default, logs its addresses, and stops with 0 on SIGTERM', async () => {
    const cwd = tempDir();
    const gregord = run('gregord.ts', LOOPBACK_PORT_0, { cwd });
    const port = await tcpPort(gregord);
    assert.ok(port > 0);
    const http = await gregord.log(/listening for WebSocket and HTTP/);
    assert.equal((http.http as { host: string }).host, '127.0.0.1');
    const hint = await gregord.log(/^embedded default .*mint a session token/);
    assert.match(String(hint.mintToken), /gregor token --uid/);
    assert.equal(statSync(join(cwd, 'data/token-secret')).mode & 0o777, 0o600);
    assert.ok(statSync(join(cwd, 'data/gregor.db')).isFile());
    gregord.child.kill('SIGTERM');
    assert.equal(await gregord.exitCode(), 0);
    await gregord.log(/gregord closed/);
  });

  it('prints every option on --help and exits 0', async () => {
    const gregord = run('gregord.ts', ['--help']);
    assert.equal(await gregord.exitCode(), 0);
    for (const flag of [
      '--bind-address',
      '--storage',
      '--auth-server',
      '--child-mode',
      'BIND_ADDRESS',
    ]) {
      assert.ok(gregord.stdout.includes(flag), flag);
    }
  });

  it('exits 1 on a bad value, naming the option', async () => {
    const gregord = run('gregord.ts', ['--broadcast-timeout', '10']);
    assert.equal(await gregord.exitCode(), 1);
    assert.match(gregord.stderr, /--broadcast-timeout: expected a duration/);
  });

  it('exits 1 on an unknown option and on a positional argument', async () => {
    const unknown = run('gregord.ts', ['--no-such-option']);
    const positional = run('gregord.ts', ['serve']);
    assert.equal(await unknown.exitCode(), 1);
    assert.equal(await positional.exitCode(), 1);
    assert.match(unknown.stderr, /unknown option '--no-such-option'/);
  });

  it('exits 3 when the storage cannot be opened', async () => {
    const cases = [
      ['--storage', 'sqlite:/dev/null/gregor.db'],
      ['--storage', 'postgres://postgres@127.0.0.1:1/test'],
    ];
    const runs = cases.map((args) =>
      run('gregord.ts', [...args, ...LOOPBACK_PORT_0, '--token-secret', 'x'.repeat(32)]),
    );
    for (const gregord of runs) {
      assert.equal(await gregord.exitCode(), 3, gregord.stderr);
      assert.match(gregord.stderr, /storage .*\(exit 3\)/);
    }
  });

  it('exits 4 when its address is in use', async () => {
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    const gregord = run('gregord.ts', [
      '--storage',
      'memory:',
      '--bind-address',
      `127.0.0.1:${port}`,
      '--http-address',
      'off',
      '--token-secret',
      'x'.repeat(32),
    ]);
    assert.equal(await gregord.exitCode(), 4);
    assert.match(gregord.stderr, /EADDRINUSE/);
  });

  it('in child mode, stops with 0 when stdin reaches EOF', async () => {
    const gregord = run(
      'gregord.ts',
      [
        '--child-mode',
        '--storage',
        'memory:',
        ...LOOPBACK_PORT_0,
        '--token-secret',
        'x'.repeat(32),
      ],
      { stdin: 'pipe' },
    );
    await tcpPort(gregord);
    gregord.child.stdin!.end();
    assert.equal(await gregord.exitCode(), 0);
    assert.equal((await gregord.log(/shutting down/)).reason, 'stdin-eof');
  });

  it('accepts a token minted by `gregor token` over TCP, and `gregor ping` and `gregor state` work', async () => {
    const { port, mint } = await gregordWithTokens();
    const token = await mint(['--uid', UID_HEX, '--sid', 'cli-test']);

    const session = await connectTcp({ host: '127.0.0.1', port });
    try {
      const login = METHODS.authenticateSessionToken;
      const result = login.decodeResult(
        await session.call(login.name, login.encodeArg({ session: token })),
      );
      assert.equal(toHex(result.uid), UID_HEX);
      assert.equal(result.sid, 'cli-test');
      assert.equal(METHODS.ping.decodeResult(await session.call(METHODS.ping.name, {})), 'pong');
    } finally {
      session.close();
      await session.closed();
    }

    const ping = run('gregor.ts', ['ping', '--address', `127.0.0.1:${port}`]);
    const state = run('gregor.ts', ['state', '--address', `127.0.0.1:${port}`, '--token', token]);
    assert.equal(await ping.exitCode(), 0, ping.stderr);
    assert.equal(ping.stdout.trim(), 'pong');
    assert.equal(await state.exitCode(), 0, state.stderr);
    assert.deepEqual(JSON.parse(state.stdout), { uid: UID_HEX, state: { items: [] } });
  });

  it('`gregor add`, `dismiss` and `watch` write items and follow the broadcasts from a terminal', async () => {
    const { address, mint } = await gregordWithTokens();
    const session = ['--address', address, '--token', await mint(['--uid', UID_HEX])];

    const watcher = run('gregor.ts', ['watch', ...session]);
    // gregord attaches a connection before it answers the login, so once the watcher says it is
    // watching, every later consume reaches it.
    // An exited watcher ends the wait at once; the assertion below then shows its stderr.
    const isWatching = () => watcher.stderr.includes(`watching ${UID_HEX}`);
    await eventually(() => isWatching() || watcher.child.exitCode !== null, {
      timeoutMs: STEP_TIMEOUT_MS,
      intervalMs: 50,
      message: 'the watcher',
    });
    assert.ok(isWatching(), watcher.stderr);

    const add = run('gregor.ts', [
      'add',
      ...session,
      '--category',
      'app.notice',
      '--body',
      'hello',
    ]);
    assert.equal(await add.exitCode(), 0, add.stderr);
    const msgID = add.stdout.trim();
    assert.match(msgID, /^[0-9a-f]{32}$/);
    const state = run('gregor.ts', ['state', ...session]);
    assert.equal(await state.exitCode(), 0, state.stderr);
    const items = JSON.parse(state.stdout).state.items;
    assert.deepEqual(
      items.map((i: { md: { msgID: string }; item: { body: string } }) => [
        i.md.msgID,
        i.item.body,
      ]),
      [[msgID, 'hello']],
    );

    const dismiss = run('gregor.ts', ['dismiss', ...session, '--id', msgID]);
    assert.equal(await dismiss.exitCode(), 0, dismiss.stderr);
    const after = run('gregor.ts', ['state', ...session]);
    assert.equal(await after.exitCode(), 0, after.stderr);
    assert.deepEqual(JSON.parse(after.stdout).state.items, []);

    const bad = run('gregor.ts', [
      'add',
      ...session,
      '--category',
      'c',
      '--body',
      'x',
      '--expire-in',
      'soon',
    ]);
    assert.equal(await bad.exitCode(), 1);
    assert.match(bad.stderr, /--expire-in/);

    watcher.child.kill('SIGINT');
    assert.equal(await watcher.exitCode(), 0, watcher.stderr);
    const events = watcher.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; id?: string; ids?: string[] })
      .filter((e) => e.event !== 'status');
    assert.deepEqual(
      events.map((e) => [e.event, e.id ?? e.ids]),
      [
        ['item', msgID],
        ['dismiss', [msgID]],
      ],
    );
  });

  it('`gregor reminders` pulls due reminders with a superuser token; --delete removes them', async () => {
    // The embedded default storage: SQLite under the data dir.
    const { dataDir, address, mint } = await gregordWithTokens([]);
    const dbFile = join(dataDir, 'gregor.db');
    const user = ['--address', address, '--token', await mint(['--uid', UID_HEX])];
    const superuser = ['--address', address, '--token', await mint(['--superuser'])];
    const add = run('gregor.ts', [
      'add',
      ...user,
      '--category',
      'c',
      '--body',
      'b',
      '--remind-in',
      '1ms',
    ]);
    assert.equal(await add.exitCode(), 0, add.stderr);
    const msgID = add.stdout.trim();
    // Counted behind gregord's back in its SQLite file (WAL: readers see committed rows).
    const storedReminders = (): number => {
      const db = new Database(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM gregor_reminders').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    assert.equal(storedReminders(), 1);

    const refused = run('gregor.ts', ['reminders', ...user]);
    assert.equal(await refused.exitCode(), 1);
    assert.match(refused.stderr, /mismatched UIDs/);

    const pulled = run('gregor.ts', ['reminders', ...superuser, '--delete']);
    assert.equal(await pulled.exitCode(), 0, pulled.stderr);
    const set = JSON.parse(pulled.stdout) as {
      reminders: { item: { md: { msgID: string } }; seqno: number }[];
    };
    assert.deepEqual(
      set.reminders.map((r) => [r.item.md.msgID, r.seqno]),
      [[msgID, 0]],
    );
    assert.equal(storedReminders(), 0);
  });

  it('serves TLS with --tls-cert/--tls-key, and `gregor ping --tls --ca` reaches it', async () => {
    const dir = tempDir();
    const { certFile: cert, keyFile: key } = makeTestCertificate(dir);
    const gregord = run('gregord.ts', [
      '--storage',
      'memory:',
      '--tls-cert',
      cert,
      '--tls-key',
      `file://${key}`,
      ...LOOPBACK_PORT_0,
      '--token-secret',
      'x'.repeat(32),
    ]);
    const line = await gregord.log(/listening for framed msgpack-rpc/);
    assert.match(String(line.url), /^fmprpc\+tls:\/\//);
    const port = (line.tcp as { port: number }).port;
    const ping = run('gregor.ts', [
      'ping',
      '--address',
      `127.0.0.1:${port}`,
      '--tls',
      '--ca',
      cert,
    ]);
    assert.equal(await ping.exitCode(), 0, ping.stderr);
    assert.equal(ping.stdout.trim(), 'pong');
    const plain = run('gregor.ts', ['ping', '--address', `127.0.0.1:${port}`, '--timeout', '2s']);
    assert.equal(await plain.exitCode(), 1);
  });

  it('runs --workers 2 on one shared port with Redis, and stops them all with 0', async (t) => {
    const skip = await serviceSkipReason('redis');
    if (skip !== undefined) return t.skip(skip);
    const dataDir = join(tempDir(), 'data');
    const args = [
      '--workers',
      '2',
      '--redis-url',
      REDIS_URL,
      '--data-dir',
      dataDir,
      '--bind-address',
      '127.0.0.1:0',
      '--http-address',
      'off',
    ];
    const gregord = run('gregord.ts', args);
    await gregord.log(/started 2 workers/);
    const listening = () =>
      gregord.logs.filter((l) => /listening for framed msgpack-rpc/.test(String(l.msg)));
    await eventually(() => listening().length >= 2, {
      timeoutMs: STEP_TIMEOUT_MS,
      intervalMs: 50,
      message: 'both workers to listen',
    });
    const workers = listening();
    assert.equal(new Set(workers.map((l) => l.pid)).size, 2);
    assert.equal(new Set(workers.map((l) => (l.tcp as { port: number }).port)).size, 1);
    gregord.child.kill('SIGTERM');
    assert.equal(await gregord.exitCode(), 0, gregord.stderr);
    assert.equal(gregord.logs.filter((l) => l.msg === 'gregord closed').length, 2);
  });

  it('`gregor` refuses a token it cannot log in with, with exit 1', async () => {
    const gregord = run('gregord.ts', [
      '--storage',
      'memory:',
      ...LOOPBACK_PORT_0,
      '--token-secret',
      'x'.repeat(32),
    ]);
    const port = await tcpPort(gregord);
    const state = run('gregor.ts', [
      'state',
      '--address',
      `127.0.0.1:${port}`,
      '--token',
      'g1.00.s.1..bad',
    ]);
    assert.equal(await state.exitCode(), 1);
    assert.match(state.stderr, /authentication failed/);
  });
});
