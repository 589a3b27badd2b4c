/**
 * Starts a GregorServer on 127.0.0.1 port 0 with real components (the memory engine or a given
 * StateMachine, the in-process bus, the test authenticator) and tears everything down after the
 * test, asserting that nothing leaked: no actors, subscriptions, mailbox jobs, pending calls,
 * connections or revocation listeners.
 */
import assert from 'node:assert/strict';
import {
  fromHex,
  type Message,
  type MsgID,
  type UID,
} from '../../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../../packages/client/src/state/index.js';
import { type Bus, InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import {
  GregorServer,
  type GregorServerOptions,
  type HttpListenOptions,
  type ServerAddresses,
} from '../../../packages/server/src/server/index.js';
import { TestAuthenticator } from './test-authenticator.js';
import { TestClient, type TestClientOptions } from './test-client.js';

export const T0 = 1_500_000_000_000;
export const U1 = new Uint8Array(16).fill(1) as UID;
export const U2 = new Uint8Array(16).fill(2) as UID;

/** A 16-byte id of `n` repeated (M(n) in the tests). */
export function id<T extends Uint8Array = UID>(n: number): T {
  return new Uint8Array(16).fill(n) as T;
}

/** M(n) as a MsgID. */
export function mid(n: number): MsgID {
  return id<MsgID>(n);
}

/** `uid` as hex bytes → UID (for tests that build uids from strings). */
export function uidFromHex(hex: string): UID {
  return fromHex(hex) as UID;
}

/** Options of a harness. */
export interface HarnessOptions extends Partial<Omit<GregorServerOptions, 'listen'>> {
  /** Also listen on HTTP (WebSocket, /metrics…), with these options (the HTTP API's…). */
  http?: boolean | Omit<HttpListenOptions, 'host' | 'port'>;
}

/** A running server with its components and clients. */
export interface Harness {
  readonly server: GregorServer;
  readonly addresses: ServerAddresses;
  readonly stateMachine: StateMachine;
  readonly bus: Bus;
  readonly auth: TestAuthenticator;
  readonly clock: ManualClock;
  /** A TCP client (closed by `close()`). */
  client(opts?: TestClientOptions): Promise<TestClient>;
  /** A TCP client logged in as `uid` (its token is allowed first). */
  user(uid: UID, opts?: TestClientOptions): Promise<TestClient>;
  /** A TCP client logged in as the superuser. */
  superuser(): Promise<TestClient>;
  /** Close clients and server, then assert nothing leaked. */
  close(): Promise<void>;
}

/** A creation message (C(M, cat, body) in the tests) for `uid`. */
export function creation(
  uid: UID,
  msg: number | Uint8Array,
  category = 'cat',
  body = 'b',
  ctime = 0,
): Message {
  const msgID = typeof msg === 'number' ? id(msg) : msg;
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: msgID as never, ctime, deviceID: null, inBandMsgType: 1 },
        creation: {
          category,
          body: new TextEncoder().encode(body),
          dtime: { time: 0, offset: 0 },
          remindTimes: [],
        },
      },
    },
  };
}

/** A dismissal by IDs (X(M, ids) in the tests) for `uid`, with msgID `mid(n)`. */
export function dismissal(uid: UID, n: number, ids: MsgID[]): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: mid(n), ctime: 0, deviceID: null, inBandMsgType: 1 },
        dismissal: { msgIDs: ids, ranges: [] },
      },
    },
  };
}

/** An out-of-band message for `uid`. */
export function oob(uid: UID, system = 'sys', body = 'x'): Message {
  return { oobm: { uid, system, body: new TextEncoder().encode(body) } };
}

/** Start a server; see HarnessOptions. */
export async function startServer(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const stateMachine = opts.stateMachine ?? new MemoryEngine({ clock });
  const bus = opts.bus ?? new InProcessBus();
  const auth = (opts.authenticator as TestAuthenticator | undefined) ?? new TestAuthenticator();
  const { http, ...rest } = opts;
  const server = new GregorServer({
    ...rest,
    stateMachine,
    bus,
    authenticator: auth,
    listen: {
      tcp: { host: '127.0.0.1', port: 0 },
      ...(http ? { http: { ...(http === true ? {} : http), host: '127.0.0.1', port: 0 } } : {}),
    },
  });
  const addresses = await server.listen();
  const clients: TestClient[] = [];
  const client = async (copts?: TestClientOptions): Promise<TestClient> => {
    const c = await TestClient.tcp(addresses.tcp!.port, copts);
    clients.push(c);
    return c;
  };
  return {
    server,
    addresses,
    stateMachine,
    bus,
    auth,
    clock,
    client,
    async user(uid, copts) {
      const c = await client(copts);
      await c.login(auth.allow(uid));
      return c;
    },
    async superuser() {
      const c = await client();
      await c.login('superuser');
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      assert.equal(server.state, 'closed');
      assertNoLeaks(server);
      if (opts.authenticator === undefined) {
        assert.equal(auth.listenerCount, 0, 'revocation listener removed');
      }
      if (opts.bus === undefined) await bus.close();
      if (opts.stateMachine === undefined) await stateMachine.close();
    },
  };
}

/** Zero actors, subscriptions, mailbox jobs, pending calls, connections and their counts. */
export function assertNoLeaks(server: GregorServer): void {
  assert.equal(server.hub.actorCount, 0, 'actors');
  assert.equal(server.hub.subscriptionCount, 0, 'subscriptions');
  assert.equal(server.hub.mailbox.activeKeys, 0, 'mailbox keys');
  assert.equal(server.pendingCalls, 0, 'pending calls');
  assert.equal(server.connectionCount, 0, 'connections');
  assert.equal(server.connectionLimits.trackedKeys, 0, 'connection counts per address and user');
}
