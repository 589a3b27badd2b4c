/**
 * Baseline servers that a benchmark runs in a child process of its own, as gregord runs in its
 * own: the server's CPU can then be read apart, and the load generator does not share its event
 * loop. The child prints `{"port":N}` once listening on 127.0.0.1 and exits when its stdin closes,
 * so it never outlives the benchmark, however that ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { CHILD_NODE_OPTIONS } from '../test/helpers/child-env.js';

/** A running child server. */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Close its stdin and wait until it has exited. */
  stop(): Promise<void>;
}

/** Start `script` (a bench/*.ts file) in a child process; resolves once it printed its port. */
export async function startChildServer(script: URL): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script.pathname], {
    env: { ...process.env, NODE_OPTIONS: CHILD_NODE_OPTIONS },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`${script.pathname} exited before listening`);
    }),
  ])) as [string];
  return {
    child,
    pid: child.pid!,
    port: (JSON.parse(first) as { port: number }).port,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

/** In the child: say the port, then run until the parent closes stdin; `cleanUp` runs first. */
export function serveUntilStdinEnds(port: number, cleanUp: () => void = () => undefined): void {
  console.log(JSON.stringify({ port }));
  process.stdin.on('end', () => {
    cleanUp();
    process.exit(0);
  });
  process.stdin.resume();
}
