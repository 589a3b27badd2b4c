/**
 * Heap per idle authenticated connection (goal: under 10 KiB). The server runs in this process.
 * - Over TCP (`measureIdleHeap`): a child process opens and logs in the connections, so only the
 *   server's side is counted. The server is gregord (memory engine, signed tokens), or the bare
 *   forwarder of server-bench-peers.ts as the floor: an rpc session and a map entry per
 *   connection. Both processes hold a socket per connection: the count must stay under the
 *   open-file limit (file-limit.ts).
 * - Over in-process transport pairs (`measureIdleHeapOverPairs`): no socket, no file, so any
 *   count fits; the client halves sit in this process too, a constant per connection. Comparing
 *   two counts this way shows whether gregord's own cost per connection grows with the count.
 * Needs `global.gc`: run under `node --expose-gc --import tsx`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createTransportPair,
  type RpcSession,
  type Transport,
} from '../packages/client/src/rpc/index.js';
import { MemoryEngine } from '../packages/client/src/state/index.js';
import { SignedTokenAuthenticator } from '../packages/server/src/auth/index.js';
import { InProcessBus } from '../packages/server/src/pubsub/index.js';
import {
  GregorServer,
  type Listener,
  type ListenerContext,
} from '../packages/server/src/server/index.js';
import { type BenchTarget, loginFrame, SECRET, startBaseline } from './server-bench-peers.js';

const CHILD = fileURLToPath(new URL('./server-bench-idle-clients.ts', import.meta.url));
/** Connections from one source address: about 28k ephemeral ports each, with room to spare. */
const PER_ADDRESS = 5000;
/** The last byte of the next source address 127.0.0.x a TCP measurement may take. */
let nextAddress = 1;

/**
 * Source addresses of their own for a TCP measurement of `connections` (the ports of an earlier
 * one's connections are still held in TIME_WAIT); resolves with the first one's last byte.
 */
export function takeSourceAddresses(connections: number): number {
  const first = nextAddress;
  nextAddress += Math.ceil(connections / PER_ADDRESS);
  if (nextAddress > 255) throw new Error('out of loopback source addresses');
  return first;
}

/** The server that holds the idle connections. */
export type IdleServer = 'gregord' | 'bare forwarder';

/** One measurement. */
export interface HeapResult {
  server: IdleServer;
  connections: number;
  users: number;
  heapBytesPerConnection: number;
  externalBytesPerConnection: number;
}

/**
 * The heap once garbage collection has nothing left to take: objects of an earlier measurement
 * whose close is still under way are freed within a few turns, and would otherwise be counted
 * against this one.
 */
async function settledHeap(): Promise<{ heap: number; external: number }> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const used = process.memoryUsage().heapUsed;
    if (Math.abs(used - last) < 256 * 1024) break;
    last = used;
  }
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, external: usage.external + usage.arrayBuffers };
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the idle connections');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A listener that serves in-process transport pairs: connections without sockets. */
class PairListener implements Listener {
  readonly name = 'pairs';
  #context: ListenerContext | undefined;
  readonly #sessions = new Set<RpcSession>();

  async start(context: ListenerContext) {
    this.#context = context;
    return { host: 'in-process' };
  }

  /** A new connection: the server gets one end, the caller the other. */
  open(): Transport {
    const [client, server] = createTransportPair(['bench-client:0', 'gregord:0']);
    this.#sessions.add(this.#context!.accept(server));
    return client;
  }

  async close() {
    for (const session of this.#sessions) session.close();
  }
}

/** gregord in this process, and how many connections it has attached to users. */
async function startIdleGregord(pairs?: PairListener) {
  const server = new GregorServer({
    stateMachine: new MemoryEngine(),
    bus: new InProcessBus(),
    authenticator: new SignedTokenAuthenticator({ secret: SECRET }),
    ...(pairs === undefined
      ? { listen: { tcp: { host: '127.0.0.1', port: 0 } } }
      : { listeners: [pairs] }),
    owns: { stateMachine: true, bus: true, authenticator: true },
  });
  const { tcp } = await server.listen();
  const target: BenchTarget = {
    name: 'gregord',
    port: tcp?.port ?? 0,
    token: () => '',
    close: () => server.close(),
  };
  return {
    target,
    attached() {
      let attached = 0;
      for (const actor of server.hub.actors()) attached += actor.size;
      return attached;
    },
  };
}

/** Log bench user `n` in over `transport`; resolves at the answer's first bytes. */
function logIn(transport: Transport, n: number): Promise<void> {
  return new Promise((resolve) => {
    transport.attach({ onTransportData: () => resolve(), onTransportClose: () => resolve() });
    transport.write([loginFrame(n)]);
  });
}

/** `connections` idle logged-in connections to gregord over in-process pairs, `users` users. */
export async function measureIdleHeapOverPairs(
  connections: number,
  users: number,
): Promise<HeapResult> {
  const pairs = new PairListener();
  const { target, attached } = await startIdleGregord(pairs);
  const clients: Transport[] = [];
  try {
    const before = await settledHeap();
    for (let i = 0; i < connections; i += 500) {
      const batch = Array.from({ length: Math.min(500, connections - i) }, () => pairs.open());
      await Promise.all(batch.map((t, k) => logIn(t, (i + k) % users)));
      clients.push(...batch);
    }
    await until(() => attached() === connections, 60_000);
    const after = await settledHeap();
    return {
      server: 'gregord',
      connections,
      users,
      heapBytesPerConnection: (after.heap - before.heap) / connections,
      externalBytesPerConnection: (after.external - before.external) / connections,
    };
  } finally {
    for (const client of clients) client.close();
    await target.close();
  }
}

/** Measure `connections` idle logged-in connections spread over `users` users. */
export async function measureIdleHeap(
  connections: number,
  users: number,
  kind: IdleServer = 'gregord',
  firstAddress = takeSourceAddresses(connections),
): Promise<HeapResult> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    throw new Error('run with node --expose-gc --import tsx');
  }
  // The forwarder has logged a connection in once it answered; the child waits for every answer.
  const { target, attached } =
    kind === 'gregord'
      ? await startIdleGregord()
      : { target: await startBaseline(), attached: () => connections };
  const before = await settledHeap();
  const args = [target.port, connections, users, firstAddress, PER_ADDRESS].map(String);
  const child = fork(CHILD, args, {
    execArgv: ['--import', 'tsx'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`client process exited with ${code}`)));
    });
    await until(() => attached() === connections, 60_000);
    const after = await settledHeap();
    return {
      server: kind,
      connections,
      users,
      heapBytesPerConnection: (after.heap - before.heap) / connections,
      externalBytesPerConnection: (after.external - before.external) / connections,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.connected) child.send('exit');
      else child.kill('SIGKILL');
      await exited;
    }
    await target.close();
  }
}
