// A transport is a Listener: a GregorServer given only a custom Listener (here, over the rpc
// layer's in-memory transport pair) serves gregor.1 through it to the high-level client, with the
// same connection accounting, closing and option checks as its built-in TCP and HTTP listeners.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connect, type Gregor } from '../../packages/client/src/client/index.js';
import { createTransportPair, RpcSession } from '../../packages/client/src/rpc/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { InProcessBus } from '../../packages/server/src/pubsub/index.js';
import {
  GregorServer,
  type GregorServerOptions,
  type Listener,
  type ListenerContext,
} from '../../packages/server/src/server/index.js';
import { eventually } from '../helpers/eventually.js';
import { TestAuthenticator } from './helpers/test-authenticator.js';
import { assertNoLeaks, T0, U1 } from './helpers/test-server.js';

/** Connections made in memory: `connect()` returns the client's end of a new session pair. */
class MemoryListener implements Listener {
  readonly name: string;
  readonly #served = new Set<RpcSession>();
  #context: ListenerContext | undefined;
  closes = 0;

  constructor(name = 'memory') {
    this.name = name;
  }

  async start(context: ListenerContext): Promise<{ host: string }> {
    this.#context = context;
    return { host: this.name };
  }

  connect(): RpcSession {
    if (this.#context === undefined) throw new Error(`${this.name} is not listening`);
    const [clientEnd, serverEnd] = createTransportPair(['memory-client', 'memory-server']);
    const served = this.#context.accept(serverEnd);
    this.#served.add(served);
    served.once('close', () => this.#served.delete(served));
    return new RpcSession(clientEnd);
  }

  async close(): Promise<void> {
    this.closes++;
    this.#context = undefined;
    await Promise.all(
      [...this.#served].map((session) => {
        session.close();
        return session.closed();
      }),
    );
  }
}

/** A listener whose start fails, as a port in use would. */
class BrokenListener extends MemoryListener {
  override async start(): Promise<{ host: string }> {
    throw new Error('the transport is down');
  }
}

function options(overrides: Partial<GregorServerOptions>): GregorServerOptions {
  return {
    stateMachine: new MemoryEngine({ clock: new ManualClock(T0) }),
    bus: new InProcessBus(),
    authenticator: new TestAuthenticator(),
    owns: { stateMachine: true, bus: true, authenticator: true },
    ...overrides,
  };
}

describe('a custom Listener', () => {
  const servers: GregorServer[] = [];
  const clients: Gregor[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((g) => g.close()));
    for (const s of servers.splice(0)) {
      await s.close();
      assertNoLeaks(s);
    }
  });

  it('serves gregor.1 to the client through GregorServer, with no other listener', async () => {
    const memory = new MemoryListener();
    const auth = new TestAuthenticator();
    const clock = new ManualClock(T0);
    const server = new GregorServer(options({ authenticator: auth, listeners: [memory] }));
    servers.push(server);
    assert.deepEqual(await server.listen(), { memory: { host: 'memory' } });

    const open = async (): Promise<Gregor> => {
      const g = await connect('fmprpc://memory.invalid:1', {
        uid: U1,
        token: auth.allow(U1),
        clock,
        connector: { connect: async () => memory.connect() },
      });
      clients.push(g);
      return g;
    };
    const a = await open();
    const b = await open();
    assert.equal(server.connectionCount, 2);
    assert.equal(server.hub.actorCount, 1, 'both logged in as one user');
    const id = await a.create({ category: 'inbox', body: 'hello over memory' });
    await eventually(() => b.items().some((item) => item.id === id), { message: 'the broadcast' });
    assert.equal(
      b
        .items()
        .find((item) => item.id === id)
        ?.text(),
      'hello over memory',
    );

    await server.close();
    assert.equal(memory.closes, 1, 'close() closed the listener');
    assert.equal(server.connectionCount, 0);
    assert.throws(() => memory.connect(), /not listening/);
  });

  it('starts after listen.tcp, and its address is reported under its name', async () => {
    const memory = new MemoryListener('inproc');
    const server = new GregorServer(
      options({ listen: { tcp: { host: '127.0.0.1', port: 0 } }, listeners: [memory] }),
    );
    servers.push(server);
    const addresses = await server.listen();
    assert.ok(addresses.tcp!.port > 0);
    assert.deepEqual(addresses.inproc, { host: 'inproc' });
  });

  it('a failing start fails listen() with GREGOR_ERR_LISTEN_FAILED and closes every listener', async () => {
    const first = new MemoryListener('first');
    const broken = new BrokenListener('broken');
    const server = new GregorServer(options({ listeners: [first, broken] }));
    servers.push(server);
    await assert.rejects(server.listen(), {
      code: 'GREGOR_ERR_LISTEN_FAILED',
      message: /the transport is down/,
    });
    assert.equal(server.state, 'closed');
    assert.deepEqual([first.closes, broken.closes], [1, 1]);
  });

  it('is checked at the edge: a Listener, a name of its own, and at least one listener', () => {
    const refused = (overrides: Partial<GregorServerOptions>, message: RegExp) =>
      assert.throws(() => new GregorServer(options(overrides)), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message,
      });
    refused({}, /at least one of listen.tcp, listen.http and listeners/);
    refused({ listeners: [] }, /at least one of listen.tcp, listen.http and listeners/);
    refused(
      { listeners: [new MemoryListener('a'), new MemoryListener('a')] },
      /listeners\[1\]\.name a is taken/,
    );
    refused(
      { listen: { tcp: { host: '127.0.0.1', port: 0 } }, listeners: [new MemoryListener('tcp')] },
      /listeners\[0\]\.name tcp is taken/,
    );
    refused({ listeners: [new MemoryListener('')] }, /listeners\[0\]\.name is required/);
    refused(
      { listeners: [{ name: 'x' } as unknown as Listener] },
      /listeners\[0\] is not a Listener/,
    );
  });
});
