// GregorServer lifecycle: created → listening → closing → closed, typed errors for calls in the
// wrong state, an idempotent close() that drains in-flight consumes first, closes owned
// components, and option validation at the edge.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { GregorServer, type GregorServerOptions } from '../../packages/server/src/server/index.js';
import { withOverrides } from './helpers/engine-faults.js';
import { TestAuthenticator } from './helpers/test-authenticator.js';
import { TestClient } from './helpers/test-client.js';
import { assertNoLeaks, creation, oob, T0, U1 } from './helpers/test-server.js';

function options(overrides: Partial<GregorServerOptions> = {}): GregorServerOptions {
  return {
    stateMachine: new MemoryEngine({ clock: new ManualClock(T0) }),
    bus: new InProcessBus(),
    authenticator: new TestAuthenticator(),
    listen: { tcp: { host: '127.0.0.1', port: 0 } },
    owns: { stateMachine: true, bus: true, authenticator: true },
    ...overrides,
  };
}

describe('GregorServer lifecycle', () => {
  const servers: GregorServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      await s.close();
      assertNoLeaks(s);
    }
  });
  const make = (o: GregorServerOptions): GregorServer => {
    const s = new GregorServer(o);
    servers.push(s);
    return s;
  };

  it('goes created → listening → closed; listen twice or after close is refused with typed errors', async () => {
    const s = make(options());
    assert.equal(s.state, 'created');
    const addresses = await s.listen();
    assert.equal(s.state, 'listening');
    assert.ok(addresses.tcp!.port > 0, 'port 0 picked a free port');
    await assert.rejects(s.listen(), { code: 'GREGOR_ERR_LIFECYCLE_STATE' });
    const first = s.close();
    const second = s.close();
    assert.equal(first, second, 'close() is idempotent');
    await first;
    assert.equal(s.state, 'closed');
    await assert.rejects(s.listen(), { code: 'GREGOR_ERR_CLOSED' });
  });

  it('closes what it owns, and leaves alone what it does not', async () => {
    const owned = options();
    const s1 = make(owned);
    await s1.listen();
    await s1.close();
    assert.equal(owned.bus.isReady, false);
    await assert.rejects(owned.stateMachine.state(U1, null, null), { code: 'GREGOR_ERR_CLOSED' });

    const shared = options({ owns: {} });
    const s2 = make(shared);
    await s2.listen();
    await s2.close();
    assert.equal(shared.bus.isReady, true);
    assert.deepEqual((await shared.stateMachine.state(U1, null, null)).items, []);
    await shared.bus.close();
    await shared.stateMachine.close();
  });

  it('a port in use fails listen() with GREGOR_ERR_LISTEN_FAILED and leaves nothing open', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const s = make(options({ listen: { tcp: { host: '127.0.0.1', port } } }));
      await assert.rejects(s.listen(), { code: 'GREGOR_ERR_LISTEN_FAILED' });
      assert.equal(s.state, 'closed');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('close() lets in-flight consumes finish and refuses new ones while draining', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inStorage = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const auth = new TestAuthenticator();
    const engine = withOverrides(new MemoryEngine({ clock: new ManualClock(T0) }), {
      consume: async (real, m, opts) => {
        entered();
        await held;
        return real(m, opts);
      },
    });
    const s = make(options({ stateMachine: engine, authenticator: auth }));
    const { tcp } = await s.listen();
    const a = await TestClient.tcp(tcp!.port);
    await a.login(auth.allow(U1));
    const inFlight = a.call('consumeMessage', { m: creation(U1, 1) });
    await inStorage;
    const closing = s.close();
    assert.equal(s.state, 'closing');
    await assert.rejects(a.call('consumeMessage', { m: oob(U1) }), { code: 'GREGOR_ERR_CLOSED' });
    release();
    await inFlight;
    await closing;
    assert.equal(s.state, 'closed');
    await a.session.closed();
  });

  it('closes without ever listening', async () => {
    const s = make(options());
    await s.close();
    assert.equal(s.state, 'closed');
  });

  it('rejects bad options with GREGOR_ERR_CONFIG_INVALID naming the option, without touching them', () => {
    const good = options();
    assert.throws(() => new GregorServer({ ...good, stateMachine: undefined as never }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /stateMachine/,
    });
    assert.throws(() => new GregorServer({ ...good, broadcastTimeoutMs: 0 }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /broadcastTimeoutMs/,
    });
    assert.throws(() => new GregorServer({ ...good, listen: {} }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /listen/,
    });
    assert.throws(() => new GregorServer({ ...good, consumeLimits: { maxBodyBytes: -1 } }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /consumeLimits\.maxBodyBytes/,
    });
    const frozen = Object.freeze({
      ...good,
      listen: Object.freeze({ tcp: { host: '127.0.0.1', port: 0 } }),
    });
    const s = make(frozen);
    assert.equal(s.state, 'created');
    void good.bus.close();
  });
});
