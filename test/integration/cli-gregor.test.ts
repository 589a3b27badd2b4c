// The `gregor` command as a real process against a real `gregord`: --version on both, every
// address form of the library (WebSocket included), absolute times in `state`, one-shot commands
// that leave no failed delivery behind, and `watch` as JSON Lines that reconnects after a drop and
// exits non-zero once its reconnect policy gives up. Every process is killed after its test.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import {
  CliProcess,
  type CliProcessOptions,
  httpPort,
  LOOPBACK_PORT_0,
  STEP_TIMEOUT_MS,
  tcpPort,
} from './helpers/cli-process.js';

/** How `eventually` waits for a step of a CLI process. */
const STEP_WAIT = { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 50 };

const UID_HEX = '0f0e0d0c0b0a09080706050403020100';
const VERSION = (
  JSON.parse(
    readFileSync(new URL('../../packages/server/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

interface WatchEvent {
  event: string;
  status?: string;
  id?: string;
  ids?: string[];
  body?: string;
}

function watchEvents(watcher: CliProcess): WatchEvent[] {
  return watcher.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WatchEvent);
}

describe('gregor, as a process', () => {
  const processes: CliProcess[] = [];
  const dirs: string[] = [];
  const run = (script: string, args: string[], options?: CliProcessOptions) => {
    const p = new CliProcess(script, args, options);
    processes.push(p);
    return p;
  };
  /** `gregor …`, expected to exit 0; its stdout. */
  const gregor = async (args: string[]): Promise<string> => {
    const p = run('gregor.ts', args);
    assert.equal(await p.exitCode(), 0, p.stderr);
    return p.stdout;
  };
  /** gregord on SQLite in a fresh data dir with signed tokens; `restart` reopens it on its ports. */
  const startGregord = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gregor-cli-'));
    dirs.push(dataDir);
    const launch = (listen: string[]) => run('gregord.ts', ['--data-dir', dataDir, ...listen]);
    let gregord = launch(LOOPBACK_PORT_0);
    const port = await tcpPort(gregord);
    const http = await httpPort(gregord);
    const token = (await gregor(['token', '--uid', UID_HEX, '--data-dir', dataDir])).trim();
    return {
      port,
      http,
      token,
      stop: async () => {
        gregord.child.kill('SIGTERM');
        assert.equal(await gregord.exitCode(), 0, gregord.stderr);
      },
      restart: async () => {
        gregord = launch([
          '--bind-address',
          `127.0.0.1:${port}`,
          '--http-address',
          `127.0.0.1:${http}`,
        ]);
        await tcpPort(gregord);
      },
    };
  };
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill();
      await p.exited;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("prints gregor-server's version on --version, for gregor and gregord", async () => {
    for (const script of ['gregor.ts', 'gregord.ts']) {
      const p = run(script, ['--version']);
      assert.equal(await p.exitCode(), 0, p.stderr);
      assert.equal(p.stdout.trim(), VERSION);
    }
  });

  it('takes every address form of the library, WebSocket included', async () => {
    const { port, http, token } = await startGregord();
    const addresses = [
      `127.0.0.1:${port}`,
      `fmprpc://127.0.0.1:${port}`,
      `ws://127.0.0.1:${http}/rpc`,
      `ws://127.0.0.1:${http}`, // gregord's /rpc when the URL names no path
    ];
    for (const address of addresses) {
      assert.equal((await gregor(['ping', '--address', address])).trim(), 'pong', address);
    }
    const ws = ['--address', `ws://127.0.0.1:${http}/rpc`, '--token', token];
    const id = (await gregor(['add', ...ws, '--category', 'c.ws', '--body', 'over ws'])).trim();
    const state = JSON.parse(await gregor(['state', ...ws]));
    assert.deepEqual(
      state.state.items.map((i: { md: { msgID: string } }) => i.md.msgID),
      [id],
    );
    // GREGOR_ADDRESS takes the same forms.
    const byEnv = run('gregor.ts', ['ping'], { env: { GREGOR_ADDRESS: `ws://127.0.0.1:${http}` } });
    assert.equal(await byEnv.exitCode(), 0, byEnv.stderr);
    const bad = run('gregor.ts', ['ping', '--address', 'http://127.0.0.1:1']);
    assert.equal(await bad.exitCode(), 1);
    assert.match(bad.stderr, /--address: invalid gregord address .*ws:\/\//);
  });

  it('shows absolute expiry and reminder times in `state`', async () => {
    const { port, token } = await startGregord();
    const session = ['--address', `127.0.0.1:${port}`, '--token', token];
    await gregor([
      'add',
      ...session,
      '--category',
      'c',
      '--body',
      'b',
      '--expire-in',
      '1h',
      '--remind-in',
      '5m',
    ]);
    await gregor(['add', ...session, '--category', 'c', '--body', 'forever']);
    const items = JSON.parse(await gregor(['state', ...session])).state.items as {
      md: { ctime: number };
      item: { body: string };
      ctime: string;
      expireAt?: string;
      remindAt: string[];
    }[];
    const timed = items.find((i) => i.item.body === 'b')!;
    const ctime = timed.md.ctime;
    assert.equal(timed.ctime, new Date(ctime).toISOString());
    // An hour from when `gregor add` ran: at or before the stored ctime plus an hour.
    const expireAt = Date.parse(timed.expireAt ?? '');
    assert.ok(expireAt <= ctime + 3_600_000 && expireAt > ctime + 3_600_000 - STEP_TIMEOUT_MS);
    // gregor.1 states carry no reminders: remindAt is there, empty.
    assert.deepEqual(timed.remindAt, []);
    const untimed = items.find((i) => i.item.body === 'forever')!;
    assert.equal(untimed.expireAt, undefined);
    assert.deepEqual(untimed.remindAt, []);
  });

  it('one-shot commands answer the broadcasts of their own writes: no failed delivery counted', async () => {
    const { port, http, token } = await startGregord();
    const session = ['--address', `127.0.0.1:${port}`, '--token', token];
    const id = (await gregor(['add', ...session, '--category', 'c', '--body', 'b'])).trim();
    await gregor(['dismiss', ...session, '--id', id]);
    await gregor(['state', ...session]);
    const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    const deliveries = metrics
      .split('\n')
      .filter((line) => line.startsWith('gregor_deliveries_total{'));
    assert.deepEqual(deliveries, ['gregor_deliveries_total{result="ok"} 2']);
  });

  it('`watch` prints JSON Lines, reconnects after gregord restarts, and prints what it missed', async () => {
    const server = await startGregord();
    const session = ['--address', `127.0.0.1:${server.port}`, '--token', server.token];
    const watcher = run('gregor.ts', ['watch', ...session, '--reconnect', 'forever']);
    await eventually(() => watcher.stderr.includes(`watching ${UID_HEX}`), {
      ...STEP_WAIT,
      message: 'the watcher',
    });
    const first = (await gregor(['add', ...session, '--category', 'c', '--body', 'one'])).trim();
    await eventually(() => watchEvents(watcher).some((e) => e.id === first), {
      ...STEP_WAIT,
      message: 'the first item',
    });

    await server.stop();
    await eventually(() => watchEvents(watcher).some((e) => e.status === 'offline'), {
      ...STEP_WAIT,
      message: 'offline',
    });
    await server.restart();
    // Written while the watcher may still be away: it comes by broadcast or by the sync.
    const second = (await gregor(['add', ...session, '--category', 'c', '--body', 'two'])).trim();
    await eventually(() => watchEvents(watcher).some((e) => e.id === second), {
      ...STEP_WAIT,
      message: 'the second item',
    });
    await gregor(['dismiss', ...session, '--id', first]);
    await eventually(() => watchEvents(watcher).some((e) => e.event === 'dismiss'), {
      ...STEP_WAIT,
      message: 'the dismissal',
    });

    watcher.child.kill('SIGINT');
    assert.equal(await watcher.exitCode(), 0, watcher.stderr);
    const events = watchEvents(watcher);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.status);
    assert.deepEqual(statuses.slice(0, 2), ['connecting', 'online']);
    assert.ok(statuses.lastIndexOf('online') > statuses.indexOf('offline'), statuses.join());
    assert.equal(statuses.at(-1), 'closed');
    const changes = events.filter((e) => e.event !== 'status');
    assert.deepEqual(
      changes.map((e) => [e.event, e.body ?? e.ids]),
      [
        ['item', 'one'],
        ['item', 'two'],
        ['dismiss', [first]],
      ],
    );
  });

  it('`watch` exits non-zero once gregord is gone for good (its --reconnect attempts spent)', async () => {
    const server = await startGregord();
    const session = ['--address', `127.0.0.1:${server.port}`, '--token', server.token];
    const watcher = run('gregor.ts', ['watch', ...session, '--reconnect', '2']);
    await eventually(() => watcher.stderr.includes(`watching ${UID_HEX}`), {
      ...STEP_WAIT,
      message: 'the watcher',
    });
    await server.stop();
    assert.equal(await watcher.exitCode(), 1);
    assert.match(watcher.stderr, /gregord is gone: stopped reconnecting/);
    const statuses = watchEvents(watcher).map((e) => e.status);
    assert.equal(statuses.filter((s) => s === 'reconnecting').length, 2, statuses.join());
    assert.equal(statuses.at(-1), 'closed');
    const bad = run('gregor.ts', ['watch', ...session, '--reconnect', 'often']);
    assert.equal(await bad.exitCode(), 1);
    assert.match(bad.stderr, /--reconnect: expected a number of attempts or "forever"/);
  });
});
