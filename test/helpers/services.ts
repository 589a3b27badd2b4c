/**
 * Addresses of the real services the tests use (README.md, "Tests"), read from the
 * environment with this machine's defaults. Outside CI an unreachable service skips its tests with
 * a line that says so; under CI=true it is a failure, never a skip.
 */
import { createConnection } from 'node:net';

export const POSTGRES_URL =
  process.env.GREGOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.GREGOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.GREGOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const isCI = process.env.CI === 'true' || process.env.CI === '1';

function portOf(url: string, fallback: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port) || fallback };
}

function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let isDone = false;
    const done = (ok: boolean) => {
      if (isDone) return;
      isDone = true;
      socket.destroy();
      resolve(ok);
    };
    // Decided a turn later: when module loading blocked the loop past the timeout, the timer and
    // the connect event are both due, and timers run first.
    socket.setTimeout(timeoutMs, () => setImmediate(done, false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves to `undefined` when the service answers, or to a skip reason when it does not.
 * Under CI=true an unreachable service throws, so the suite fails instead of skipping.
 */
export async function serviceSkipReason(
  name: 'postgres' | 'mysql' | 'redis',
): Promise<string | undefined> {
  const url = { postgres: POSTGRES_URL, mysql: MYSQL_URL, redis: REDIS_URL }[name];
  const fallback = { postgres: 5432, mysql: 3306, redis: 6379 }[name];
  const { host, port } = portOf(url, fallback);
  if (await canConnect(host, port)) return undefined;
  const reason = `${name} is not reachable at ${host}:${port}`;
  if (isCI) throw new Error(`${reason} (CI=true: a missing service is a failure)`);
  console.log(`# SKIP ${reason}; start it (see README.md, "Tests") to run these tests`);
  return reason;
}

/** A name unique to this test process, for a schema or database of its own. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
