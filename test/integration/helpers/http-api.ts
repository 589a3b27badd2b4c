/**
 * The HTTP API for backends (docs/server-api.md) as the tests call it: `fetch` on loopback with a
 * Bearer key, each request bounded in time, the answer's status and JSON handed back whatever the
 * status, so that a test asserts refusals as plainly as successes.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/** How long one request may take. */
const REQUEST_TIMEOUT_MS = 10_000;

/** An answer of the API: its status and its JSON body, of the shape the caller expects. */
export interface ApiAnswer<T> {
  readonly status: number;
  readonly json: T;
}

/** A new random API key (64 hex digits). */
export function newApiKey(): string {
  return randomBytes(32).toString('hex');
}

/** Write `lines` (keys and comments) as an API keys file. */
export async function writeApiKeys(path: string, lines: readonly string[]): Promise<void> {
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/**
 * Call `METHOD /api/v1<path>` on 127.0.0.1:`port` with `key` (none: no Authorization header). `T`
 * is the shape the test expects (a route's answer or an error body); the test asserts it.
 */
export async function callApi<T>(
  port: number,
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, json: (await res.json()) as T };
}
