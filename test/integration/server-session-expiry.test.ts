// A connection lives no longer than its session: when its signed token expires the server checks
// the session again, unprompted, and closes the connection, so it stops receiving the user's
// broadcasts even if it never makes another call. A later login with a fresher token of the same
// user moves that time. Real GregorServer, real SignedTokenAuthenticator, real TCP; tokens live
// about a second of real time.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { systemClock } from '../../packages/client/src/state/index.js';
import { mintToken, SignedTokenAuthenticator } from '../../packages/server/src/auth/index.js';
import { eventually } from '../helpers/eventually.js';
import { creation, type Harness, startServer, U1 } from './helpers/test-server.js';

const SECRET = 'session-expiry-test-secret-0123456789';
const SHORT_TTL_MS = 1200;
/** Generous: the check runs at the expiry, and the close follows at once. */
const CLOSE_BOUND_MS = 10_000;

async function sessionsEnded(h: Harness, reason: string): Promise<number> {
  const metric = await h.server.metrics.sessionsEnded.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('session expiry', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const start = async (): Promise<Harness> => {
    h = await startServer({
      authenticator: new SignedTokenAuthenticator({ secret: SECRET }),
      clock: systemClock,
      owns: { authenticator: true },
    });
    return h;
  };

  it('closes a connection when its token expires; it receives nothing after, and the token is refused', async () => {
    const server = await start();
    const expiring = await server.client();
    await expiring.login(mintToken({ uid: U1, ttlMs: SHORT_TTL_MS }, SECRET));
    const lasting = await server.client();
    await lasting.login(mintToken({ uid: U1 }, SECRET));
    await lasting.call('consumeMessage', { m: creation(U1, 1) });
    await expiring.waitForBroadcasts(1);

    const closed = expiring.session.closed();
    await eventually(() => expiring.session.isClosed, {
      timeoutMs: CLOSE_BOUND_MS,
      message: 'the expired connection closed',
    });
    await closed;
    assert.equal(server.server.connectionCount, 1);
    assert.equal(await sessionsEnded(server, 'expired'), 1);

    await lasting.call('consumeMessage', { m: creation(U1, 2) });
    await lasting.waitForBroadcasts(2);
    assert.equal(expiring.received.length, 1, 'no broadcast after the expiry');

    const again = await server.client();
    await assert.rejects(again.login(mintToken({ uid: U1, ttlMs: 1 }, SECRET, Date.now() - 10)), {
      message: /token expired/,
    });
  });

  it('keeps a connection that logged in again with a later token of the same user', async () => {
    const server = await start();
    const client = await server.client();
    await client.login(mintToken({ uid: U1, ttlMs: SHORT_TTL_MS }, SECRET));
    await client.login(mintToken({ uid: U1 }, SECRET));
    await new Promise((resolve) => setTimeout(resolve, SHORT_TTL_MS + 500));
    assert.equal(client.session.isClosed, false);
    await client.call('consumeMessage', { m: creation(U1, 1) });
    await client.waitForBroadcasts(1);
    assert.equal(await sessionsEnded(server, 'expired'), 0);
  });
});
