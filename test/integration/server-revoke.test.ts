// Session revocation across a cluster, in one process: two real GregorServers with signed tokens
// whose in-process buses share a broker. A revocation made on one (the library call
// GregorServer.revokeSessions, or the superuser-only rpc gregord.1.admin.revokeSessions) closes
// the covered connections on both and refuses their tokens on both; other sessions stay.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  GREGORD_METHODS,
  type RevokeSessionsArg,
} from '../../packages/client/src/protocol/index.js';
import { systemClock } from '../../packages/client/src/state/index.js';
import {
  MockAuthenticator,
  mintToken,
  SignedTokenAuthenticator,
} from '../../packages/server/src/auth/index.js';
import { InProcessBroker, InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { eventually } from '../helpers/eventually.js';
import type { TestClient } from './helpers/test-client.js';
import { creation, type Harness, startServer, U1, U2 } from './helpers/test-server.js';

const SECRET = 'revocation-test-secret-0123456789';
const SUPER = 'ffffffffffffffffffffffffffffff00';
const CLOSE_BOUND_MS = 5000;

function revokeCall(client: TestClient, arg: Partial<RevokeSessionsArg>) {
  const spec = GREGORD_METHODS.revokeSessions;
  const full = { tokens: [], sessionIDs: [], uids: [], ...arg };
  return client.session.call(spec.name, spec.encodeArg(full)).then((raw) => spec.decodeResult(raw));
}

describe('session revocation across instances', () => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
  });

  /** Two instances sharing one in-process broker, signed tokens with one secret. */
  async function cluster(): Promise<[Harness, Harness]> {
    const broker = new InProcessBroker();
    const start = async () => {
      const h = await startServer({
        authenticator: new SignedTokenAuthenticator({ secret: SECRET }),
        bus: new InProcessBus({ broker }),
        clock: systemClock,
        owns: { authenticator: true, bus: true },
      });
      harnesses.push(h);
      return h;
    };
    return [await start(), await start()];
  }

  async function loggedIn(h: Harness, token: string): Promise<TestClient> {
    const client = await h.client();
    await client.login(token);
    return client;
  }

  it('revoking a token closes its connections on every instance and refuses it everywhere', async () => {
    const [a, b] = await cluster();
    const revoked = mintToken({ uid: U1, sid: 'revoked' }, SECRET);
    const kept = mintToken({ uid: U1, sid: 'kept' }, SECRET);
    const onA = await loggedIn(a, revoked);
    const onB = await loggedIn(b, revoked);
    const keptOnB = await loggedIn(b, kept);

    assert.equal(await a.server.revokeSessions({ tokens: [revoked] }), 1);
    await eventually(() => onA.session.isClosed && onB.session.isClosed, {
      timeoutMs: CLOSE_BOUND_MS,
      message: 'both closed',
    });
    assert.equal(keptOnB.session.isClosed, false, 'another session of the user stays');

    for (const h of [a, b]) {
      const again = await h.client();
      await assert.rejects(again.login(revoked), { message: /revoked/ });
    }
    await keptOnB.call('consumeMessage', { m: creation(U1, 1) });
    await keptOnB.waitForBroadcasts(1);
  });

  it('revoking a uid over rpc ends its sessions issued before now; a later token logs in', async () => {
    const [a, b] = await cluster();
    const su = await loggedIn(a, mintToken({ uid: SUPER, sid: 'operator' }, SECRET));
    const old = mintToken({ uid: U1, sid: 'old' }, SECRET, Date.now() - 1000);
    const other = await loggedIn(b, mintToken({ uid: U2 }, SECRET));
    const onB = await loggedIn(b, old);

    assert.deepEqual(await revokeCall(su, { uids: [U1] }), { closed: 0 });
    await eventually(() => onB.session.isClosed, {
      timeoutMs: CLOSE_BOUND_MS,
      message: 'the old session closed on b',
    });
    assert.equal(other.session.isClosed, false, "another user's session stays");
    await assert.rejects((await b.client()).login(old), { message: /revoked/ });
    await new Promise((resolve) => setTimeout(resolve, 2));
    await loggedIn(b, mintToken({ uid: U1, sid: 'new' }, SECRET));
    const metric = await b.server.metrics.sessionsEnded.get();
    assert.equal(metric.values.find((v) => v.labels.reason === 'revoked')?.value, 1);
  });

  it('refuses the rpc to a session that is not the superuser, and an empty or unreadable request', async () => {
    const [a] = await cluster();
    const user = await loggedIn(a, mintToken({ uid: U1 }, SECRET));
    await assert.rejects(revokeCall(user, { uids: [U2] }), { message: /mismatched UIDs/ });
    const su = await loggedIn(a, mintToken({ uid: SUPER }, SECRET));
    await assert.rejects(revokeCall(su, {}), { message: /at least one/ });
    await assert.rejects(revokeCall(su, { tokens: ['g2.not-a-token'] }), { message: /malformed/ });
    const tooMany = Array.from({ length: 1001 }, (_, i) => `s${i}`);
    await assert.rejects(revokeCall(su, { sessionIDs: tooMany }), { message: /at most 1000/ });
    assert.equal(su.session.isClosed, false, 'a refused call keeps the connection');
  });

  it('says so when the authenticator leaves revocation to its authority', async () => {
    const h = await startServer();
    harnesses.push(h);
    await assert.rejects(h.server.revokeSessions({ sessionIDs: ['x'] }), {
      code: 'GREGOR_ERR_AUTH_REVOKE_UNSUPPORTED',
    });
    // The mock revokes itself, like signed tokens.
    const mock = await startServer({
      authenticator: new MockAuthenticator(),
      owns: { authenticator: true },
    });
    harnesses.push(mock);
    assert.equal(await mock.server.revokeSessions({ sessionIDs: ['x'] }), 0);
  });
});
