/**
 * Heap per idle authenticated connection (goal: under 10 KiB). The server runs in this process;
 * a child process opens and logs in the connections, so only the server's side is counted.
 * Needs `global.gc`: run under `node --expose-gc --import tsx`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MemoryEngine } from '../packages/client/src/state/index.js';
import { SignedTokenAuthenticator } from '../packages/server/src/auth/index.js';
import { InProcessBus } from '../packages/server/src/pubsub/index.js';
import { GregorServer } from '../packages/server/src/server/index.js';
import { SECRET } from './server-bench-peers.js';

const CHILD = fileURLToPath(new URL('./server-bench-idle-clients.ts', import.meta.url));

/** One measurement. */
export interface HeapResult {
  connections: number;
  users: number;
  heapBytesPerConnection: number;
  externalBytesPerConnection: number;
}

async function settledHeap(): Promise<{ heap: number; external: number }> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
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

/** Measure `connections` idle logged-in connections spread over `users` users. */
export async function measureIdleHeap(connections: number, users: number): Promise<HeapResult> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    throw new Error('run with node --expose-gc --import tsx');
  }
  const server = new GregorServer({
    stateMachine: new MemoryEngine(),
    bus: new InProcessBus(),
    authenticator: new SignedTokenAuthenticator({ secret: SECRET }),
    listen: { tcp: { host: '127.0.0.1', port: 0 } },
    owns: { stateMachine: true, bus: true, authenticator: true },
  });
  const { tcp } = await server.listen();
  const before = await settledHeap();
  const child = fork(CHILD, [String(tcp!.port), String(connections), String(users)], {
    execArgv: ['--import', 'tsx'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`client process exited with ${code}`)));
    });
    let attached = 0;
    await until(() => {
      attached = 0;
      for (const actor of server.hub.actors()) attached += actor.size;
      return attached === connections;
    }, 60_000);
    const after = await settledHeap();
    return {
      connections,
      users,
      heapBytesPerConnection: (after.heap - before.heap) / connections,
      externalBytesPerConnection: (after.external - before.external) / connections,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('exit');
    await exited;
    await server.close();
  }
}
