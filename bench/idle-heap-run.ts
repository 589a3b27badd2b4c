/**
 * One heap measurement of server-bench-heap.ts in a process of its own, so that nothing an earlier
 * measurement or benchmark left behind (objects whose close is still under way, caches, JIT code)
 * is counted or freed during it. Prints the HeapResult as one JSON line.
 * argv: tcp|pairs gregord|forwarder connections users [firstSourceAddress]
 * Run with `node --expose-gc --import tsx` (isolatedHeap below does).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHILD_NODE_OPTIONS } from '../test/helpers/child-env.js';
import { type HeapResult, measureIdleHeap, measureIdleHeapOverPairs } from './server-bench-heap.js';

/** What to measure. */
export interface IsolatedHeapRun {
  transport: 'tcp' | 'pairs';
  /** Over TCP, gregord or the bare forwarder; over pairs, always gregord. */
  server: 'gregord' | 'forwarder';
  connections: number;
  users: number;
  /** TCP: the last byte of the first source address 127.0.0.x (server-bench-heap.ts). */
  firstAddress?: number;
}

/** Run one measurement in a child process; resolves with its result. */
export async function isolatedHeap(run: IsolatedHeapRun): Promise<HeapResult> {
  const args = [run.transport, run.server, run.connections, run.users, run.firstAddress ?? 1];
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      import.meta.resolve('tsx'),
      fileURLToPath(import.meta.url),
      ...args.map(String),
    ],
    {
      env: { ...process.env, NODE_OPTIONS: CHILD_NODE_OPTIONS },
      timeout: 300_000,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as HeapResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [transport, server, connections, users, first] = process.argv.slice(2);
  const result =
    transport === 'pairs'
      ? await measureIdleHeapOverPairs(Number(connections), Number(users))
      : await measureIdleHeap(
          Number(connections),
          Number(users),
          server === 'forwarder' ? 'bare forwarder' : 'gregord',
          Number(first),
        );
  console.log(JSON.stringify(result));
}
