import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SUPER_UID } from '../../../packages/client/src/protocol/index.js';
import {
  DEFAULT_SESSION_CACHE_TTL_MS,
  RemoteAuthenticator,
} from '../../../packages/server/src/auth/internal.js';
import { eventually } from '../../helpers/eventually.js';
import { FakeAuthd, GOOD } from './fake-authd.js';

/** A port nothing listens on: bound once, then released. */
async function deadPort(): Promise<number> {
  const authd = new FakeAuthd();
  const port = await authd.start();
  await authd.stop();
  return port;
}

describe('RemoteAuthenticator', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(options: { refreshMs?: number } = {}) {
    const authd = new FakeAuthd();
    const port = await authd.start();
    const auth = new RemoteAuthenticator({
      host: '127.0.0.1',
      port,
      reconnect: () => 20,
      timeoutMs: 2000,
      superTokenRefreshIntervalMs: options.refreshMs ?? 60_000,
    });
    cleanup.push(
      () => authd.stop(),
      () => auth.close(),
    );
    await eventually(() => auth.isConnected && authd.superCalls > 0, {
      timeoutMs: 5000,
      message: 'the authd connection',
    });
    return { authd, auth };
  }

  it('checks a token with authd, then answers from the cache without asking again', async () => {
    const { authd, auth } = await setup();
    assert.deepEqual(await auth.authenticate('goodtoken'), GOOD);
    assert.deepEqual(await auth.authenticate('goodtoken'), GOOD);
    assert.equal(authd.authCalls, 1);
    assert.equal(auth.cachedTokens, 1);
  });

  it('says a session must be checked with authd again when its cached answer runs out', async () => {
    const { auth } = await setup();
    const before = Date.now();
    await auth.authenticate('goodtoken');
    const until = auth.validUntil('goodtoken');
    assert.ok(
      until >= before + DEFAULT_SESSION_CACHE_TTL_MS &&
        until <= Date.now() + DEFAULT_SESSION_CACHE_TTL_MS,
    );
  });

  it('shares one authd call between concurrent checks of a token', async () => {
    const { authd, auth } = await setup();
    const results = await Promise.all([1, 2, 3].map(() => auth.authenticate('goodtoken')));
    assert.deepEqual(results, [GOOD, GOOD, GOOD]);
    assert.equal(authd.authCalls, 1);
  });

  it('turns a refusal by authd into AUTH_FAILED (202), and does not cache it', async () => {
    const { authd, auth } = await setup();
    await assert.rejects(auth.authenticate('badtoken'), {
      code: 'GREGOR_ERR_AUTH_FAILED',
      status: 202,
    });
    await assert.rejects(auth.authenticate('badtoken'), { code: 'GREGOR_ERR_AUTH_FAILED' });
    assert.equal(authd.authCalls, 2);
  });

  it('refuses a blank token without asking authd', async () => {
    const { authd, auth } = await setup();
    await assert.rejects(auth.authenticate(''), { code: 'GREGOR_ERR_AUTH_BAD_SESSION' });
    assert.equal(authd.authCalls, 0);
  });

  it('drops a revoked session from the cache, tells listeners, and asks authd again', async () => {
    const { authd, auth } = await setup();
    await auth.authenticate('goodtoken');
    const heard: string[][] = [];
    auth.onRevoke((ids) => heard.push([...ids]));
    authd.tokens.delete('goodtoken');
    await authd.revoke(['1']);
    assert.deepEqual(heard, [['1']]);
    await assert.rejects(auth.authenticate('goodtoken'), { code: 'GREGOR_ERR_AUTH_FAILED' });
    assert.equal(authd.authCalls, 2);
  });

  it("hands out authd's superuser token and refreshes it on the interval", async () => {
    const { authd, auth } = await setup({ refreshMs: 20 });
    assert.equal(await auth.superuserToken(), 'super-1');
    authd.superToken = 'super-2';
    await eventually(() => authd.superCalls >= 3, { timeoutMs: 5000, message: 'two refreshes' });
    assert.equal(await auth.superuserToken(), 'super-2');
  });

  it('fails at once with AUTH_UNAVAILABLE while authd is down, and never hangs', async () => {
    const auth = new RemoteAuthenticator({
      host: '127.0.0.1',
      port: await deadPort(),
      reconnect: () => 20,
    });
    cleanup.push(() => auth.close());
    await assert.rejects(auth.authenticate('goodtoken'), {
      code: 'GREGOR_ERR_AUTH_UNAVAILABLE',
      message: /not connected/,
    });
    await assert.rejects(auth.superuserToken({ timeoutMs: 50 }), {
      code: 'GREGOR_ERR_AUTH_UNAVAILABLE',
    });
  });

  it('fails with AUTH_UNAVAILABLE when authd does not answer in time', async () => {
    const { authd, auth } = await setup();
    authd.isHanging = true;
    await assert.rejects(auth.authenticate('goodtoken', { timeoutMs: 50 }), {
      code: 'GREGOR_ERR_AUTH_UNAVAILABLE',
    });
  });

  it('reconnects when authd comes back, and trusts nothing cached before', async () => {
    const { authd, auth } = await setup();
    await auth.authenticate('goodtoken');
    for (const session of authd.sessions) session.close();
    await eventually(
      () => authd.sessions.filter((s) => !s.isClosed).length === 1 && auth.isConnected,
      { timeoutMs: 5000, message: 'the reconnect' },
    );
    await eventually(() => auth.cachedTokens === 0, {
      timeoutMs: 5000,
      message: 'the cache flush',
    });
    assert.deepEqual(await auth.authenticate('goodtoken'), GOOD);
    assert.equal(authd.authCalls, 2);
  });

  it('treats a blank superuser token as a failed connection and dials again', async () => {
    const authd = new FakeAuthd();
    authd.superToken = '';
    const port = await authd.start();
    const auth = new RemoteAuthenticator({ host: '127.0.0.1', port, reconnect: () => 10 });
    cleanup.push(
      () => authd.stop(),
      () => auth.close(),
    );
    await eventually(() => authd.superCalls >= 2, { timeoutMs: 5000, message: 'a second attempt' });
    await assert.rejects(auth.superuserToken({ timeoutMs: 20 }), {
      code: 'GREGOR_ERR_AUTH_UNAVAILABLE',
    });
    authd.superToken = 'super-ok';
    assert.equal(await auth.superuserToken({ timeoutMs: 5000 }), 'super-ok');
  });

  it('stops a caller whose signal fires, without failing the shared call for others', async () => {
    const { auth } = await setup();
    const controller = new AbortController();
    const aborted = auth.authenticate('goodtoken', { signal: controller.signal });
    const other = auth.authenticate('goodtoken');
    controller.abort();
    await assert.rejects(aborted, { code: 'GREGOR_ERR_ABORTED' });
    assert.deepEqual(await other, GOOD);
  });

  it('resolves a superuser login through authd like any other token', async () => {
    const { authd, auth } = await setup();
    authd.tokens.set('super-1', { uid: SUPER_UID, username: 'gregord', sid: 'su', isAdmin: false });
    assert.deepEqual((await auth.authenticate(await auth.superuserToken())).uid, SUPER_UID);
  });

  it('rejects every call after close, which is idempotent and closes the link', async () => {
    const { authd, auth } = await setup();
    await auth.close();
    await auth.close();
    await assert.rejects(auth.authenticate('goodtoken'), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(auth.superuserToken(), { code: 'GREGOR_ERR_CLOSED' });
    await eventually(() => authd.sessions.every((s) => s.isClosed), {
      timeoutMs: 5000,
      message: 'the link to close',
    });
  });
});
