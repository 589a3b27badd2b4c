// gregord with a remote authd (--auth-server): the login and revocation cases 49, 50 and 65 end
// to end, and an unreachable authd failing logins at once.
// The authd is a small rpc-layer server on 127.0.0.1 port 0; gregord runs in this process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { type AuthResult, METHODS, toHex } from '../../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../../packages/client/src/rpc/index.js';
import { type RunningGregord, startGregord } from '../../packages/server/src/daemon/bootstrap.js';
import { parseGregordConfig } from '../../packages/server/src/daemon/config.js';
import { eventually } from '../helpers/eventually.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { FakeAuthd, GOOD, U1 } from '../unit/auth/fake-authd.js';

const login = METHODS.authenticateSessionToken;
const sync = METHODS.sync;

describe('gregord with a remote authd', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function start(
    authdPort: number,
    tls: { ca?: string } | undefined = undefined,
  ): Promise<RunningGregord> {
    const scheme = tls === undefined ? 'fmprpc' : 'fmprpc+tls';
    const config = parseGregordConfig({
      flags: {
        storage: 'memory:',
        bindAddress: '127.0.0.1:0',
        httpAddress: 'off',
        authServer: `${scheme}://127.0.0.1:${authdPort}`,
        authTimeout: '2s',
        ...(tls?.ca === undefined ? {} : { tlsCa: tls.ca }),
      },
    });
    const gregord = await startGregord(config, { logger: pino({ level: 'silent' }) });
    cleanup.push(() => gregord.close());
    return gregord;
  }

  async function client(gregord: RunningGregord): Promise<RpcSession> {
    const session = await connectTcp({ host: '127.0.0.1', port: gregord.addresses.tcp?.port ?? 0 });
    cleanup.push(async () => {
      session.close();
      await session.closed();
    });
    return session;
  }

  async function withAuthd(): Promise<{ authd: FakeAuthd; gregord: RunningGregord }> {
    const authd = new FakeAuthd();
    const port = await authd.start();
    cleanup.push(() => authd.stop());
    const gregord = await start(port);
    await eventually(() => authd.superCalls > 0, {
      timeoutMs: 5000,
      message: 'gregord to fetch its super token',
    });
    return { authd, gregord };
  }

  const callLogin = async (session: RpcSession, token: string): Promise<AuthResult> =>
    login.decodeResult(await session.call(login.name, login.encodeArg({ session: token })));
  const callSync = (session: RpcSession) =>
    session.call(sync.name, sync.encodeArg({ uid: U1, deviceid: null, ctime: 0 }));

  it('logs a client in with a token authd knows (case 49)', async () => {
    const { gregord } = await withAuthd();
    const session = await client(gregord);
    assert.deepEqual(await callLogin(session, 'goodtoken'), GOOD);
    await callSync(session);
  });

  it('closes the connection of a refused login (case 50)', async () => {
    const { gregord } = await withAuthd();
    const session = await client(gregord);
    await assert.rejects(callLogin(session, 'badtoken'), { code: 'GREGOR_ERR_AUTH_FAILED' });
    await session.closed();
    assert.equal(gregord.server.hub.actorCount, 0);
  });

  it('re-checks a revoked session with authd and drops it when refused (case 65)', async () => {
    const { authd, gregord } = await withAuthd();
    const session = await client(gregord);
    assert.equal(toHex((await callLogin(session, 'goodtoken')).uid), toHex(U1));
    const checksBefore = authd.authCalls;
    authd.tokens.delete('goodtoken');
    await authd.revoke([GOOD.sid]);
    await eventually(() => authd.authCalls > checksBefore, {
      timeoutMs: 5000,
      message: 'the re-check',
    });
    // The refused session is closed (or, if the call raced the close, refused as unauthenticated).
    await assert.rejects(callSync(session), (err: Error & { code?: string }) =>
      /^GREGOR_ERR_(CLOSED|AUTH_)/.test(err.code ?? ''),
    );
  });

  it('fails logins with AUTH_UNAVAILABLE while authd is unreachable, without hanging', async () => {
    const authd = new FakeAuthd();
    const port = await authd.start();
    await authd.stop();
    const gregord = await start(port);
    const session = await client(gregord);
    await assert.rejects(callLogin(session, 'goodtoken'), { code: 'GREGOR_ERR_AUTH_UNAVAILABLE' });
  });

  it('dials an fmprpc+tls:// authd whose certificate chains to --tls-ca, and refuses it without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-authd-tls-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { keyFile, certFile } = makeTestCertificate(dir);
    const authd = new FakeAuthd();
    const port = await authd.start(0, {
      key: readFileSync(keyFile, 'utf8'),
      cert: readFileSync(certFile, 'utf8'),
    });
    cleanup.push(() => authd.stop());

    const trusting = await start(port, { ca: certFile });
    await eventually(() => authd.superCalls > 0, {
      timeoutMs: 5000,
      message: 'gregord to fetch its super token over TLS',
    });
    assert.deepEqual(await callLogin(await client(trusting), 'goodtoken'), GOOD);

    // The self-signed certificate does not chain to the system CAs.
    const untrusting = await start(port, {});
    await assert.rejects(callLogin(await client(untrusting), 'goodtoken'), {
      code: 'GREGOR_ERR_AUTH_UNAVAILABLE',
    });
  });
});
