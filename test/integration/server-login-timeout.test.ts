// A connection that never logs in is closed after loginTimeoutMs (the Go gregord had no bound,
// so idle sockets could pile up); a logged-in one and a blank-token retry within the bound stay.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Harness, startServer, U1 } from './helpers/test-server.js';

const LOGIN_TIMEOUT_MS = 150;

describe('gregord login timeout', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer({ loginTimeoutMs: LOGIN_TIMEOUT_MS });
  });
  afterEach(async () => {
    await h.close();
  });

  it('closes a connection that has not logged in by the deadline, even after a blank-token try', async () => {
    const idle = await h.client();
    await assert.rejects(idle.login(''), { code: 'GREGOR_ERR_AUTH_BAD_SESSION' });
    const deadline = new Promise((_, reject) => {
      setTimeout(() => reject(new Error('the idle connection was not closed')), 5000).unref();
    });
    await Promise.race([idle.session.closed(), deadline]);
    const failures = await h.server.metrics.authFailures.get();
    const timeouts = failures.values.find((v) => v.labels.code === 'GREGOR_ERR_TIMEOUT');
    assert.equal(timeouts?.value, 1);
    assert.equal(h.server.connectionCount, 0);
  });

  it('keeps a connection that logged in before the deadline', async () => {
    const user = await h.user(U1);
    await new Promise((resolve) => setTimeout(resolve, LOGIN_TIMEOUT_MS * 2));
    assert.equal(await user.call('ping', {}), 'pong');
  });
});
