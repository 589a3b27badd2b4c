// `gregor revoke` against two real gregord processes with signed tokens that share the Redis
// (their own channel prefix): the revocation, made through one of them, closes the covered
// connections on both and both refuse the token afterwards; revoking a uid ends the sessions
// issued before it and lets a later token in. The `gregor` command is a real process too (one
// run: each costs seconds on a loaded machine; server-revoke.test.ts covers the refusals).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { mintToken } from '../../packages/server/src/auth/index.js';
import { CHILD_NODE_OPTIONS } from '../helpers/child-env.js';
import { eventually } from '../helpers/eventually.js';
import { REDIS_URL, serviceSkipReason, uniqueName } from '../helpers/services.js';
import { GregordProcess, stopAll } from './helpers/gregord-process.js';
import { TestClient } from './helpers/test-client.js';
import { U1, U2 } from './helpers/test-server.js';

const SECRET = 'cli-revoke-test-secret-0123456789';
const SUPER = mintToken({ uid: 'ffffffffffffffffffffffffffffff00', sid: 'operator' }, SECRET);
const GREGOR = new URL('../../packages/server/src/cli/gregor.ts', import.meta.url).pathname;
const CLOSE_BOUND_MS = 10_000;
const SKIP = await serviceSkipReason('redis');

/** Run `gregor revoke` against `port`; resolves with its exit code, stdout and stderr. */
async function gregorRevoke(
  port: number,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', 'tsx', GREGOR, 'revoke', '--address', `127.0.0.1:${port}`, ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, {
      env: { ...process.env, GREGOR_TOKEN: SUPER, NODE_OPTIONS: CHILD_NODE_OPTIONS },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('gregor revoke, across two gregord processes sharing Redis', { skip: SKIP }, () => {
  let gregords: GregordProcess[] = [];
  const clients: TestClient[] = [];
  before(async () => {
    gregords = await GregordProcess.startMany(2, {
      storage: 'memory:',
      redisUrl: REDIS_URL,
      http: false,
      tokenSecret: SECRET,
      args: ['--redis-channel-prefix', `${uniqueName('revoke')}:`],
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await stopAll(gregords);
  });

  async function loggedIn(gregord: GregordProcess, token: string): Promise<TestClient> {
    const client = await TestClient.tcp(gregord.tcpPort);
    clients.push(client);
    await client.login(token);
    return client;
  }

  it('revokes a token and a uid in one call: their connections on both close, both refuse them after', async () => {
    const [a, b] = gregords as [GregordProcess, GregordProcess];
    const stolen = mintToken({ uid: U1, sid: 'stolen-laptop' }, SECRET);
    const onA = await loggedIn(a, stolen);
    const onB = await loggedIn(b, stolen);
    const phone = await loggedIn(b, mintToken({ uid: U1, sid: 'phone' }, SECRET));
    const old = mintToken({ uid: U2, sid: 'before' }, SECRET, Date.now() - 1000);
    const oldOnA = await loggedIn(a, old);
    const oldOnB = await loggedIn(b, old);

    const u2 = Buffer.from(U2).toString('hex');
    const run = await gregorRevoke(a.tcpPort, ['--session', stolen, '--uid', u2]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { closed: 2 }, 'the two connections on a');
    const closed = [onA, onB, oldOnA, oldOnB];
    await eventually(() => closed.every((c) => c.session.isClosed), {
      timeoutMs: CLOSE_BOUND_MS,
      message: 'all closed',
    });
    assert.equal(phone.session.isClosed, false, 'the other session of the user stays');
    await b.waitForLog(/^sessions revoked by another instance$/);

    for (const gregord of [a, b]) {
      for (const token of [stolen, old]) {
        const again = await TestClient.tcp(gregord.tcpPort);
        clients.push(again);
        await assert.rejects(again.login(token), { message: /revoked/ });
      }
    }
    await loggedIn(b, mintToken({ uid: U2, sid: 'after' }, SECRET));
  });
});
