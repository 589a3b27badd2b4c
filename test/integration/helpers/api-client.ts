/**
 * The HTTP API for backends (docs/server-api.md) as the tests call it: `fetch` on loopback with a
 * Bearer key, each request bounded in time, the answer's status, headers and JSON (or text, when
 * it is not JSON) handed back whatever the status, so that a test asserts refusals as plainly as
 * successes. Also the API keys files the gregord tests start with.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/** The key the API tests configure. */
export const API_KEY = 'test-api-key-0123456789';

/** How long one request may take. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A new random API key (64 hex digits). */
export function newApiKey(): string {
  return randomBytes(32).toString('hex');
}

/** Write `lines` (keys and comments) as an API keys file. */
export async function writeApiKeys(path: string, lines: readonly string[]): Promise<void> {
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** An answer of the API; `T` is the shape the test expects (it asserts it). */
// biome-ignore lint/suspicious/noExplicitAny: by default the tests read the JSON they expect
export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Requests to `http://127.0.0.1:<port>/api/v1`. */
export class ApiClient {
  readonly base: string;
  readonly #key: string | null;

  /** `key` null: send no authorization. */
  constructor(port: number, key: string | null = API_KEY) {
    this.base = `http://127.0.0.1:${port}/api/v1`;
    this.#key = key;
  }

  // biome-ignore lint/suspicious/noExplicitAny: by default the JSON the test expects
  get<T = any>(path: string, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    return this.raw('GET', path, undefined, headers);
  }

  // biome-ignore lint/suspicious/noExplicitAny: by default the JSON the test expects
  post<T = any>(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    return this.call('POST', path, body, headers);
  }

  // biome-ignore lint/suspicious/noExplicitAny: by default the JSON the test expects
  delete<T = any>(path: string): Promise<ApiAnswer<T>> {
    return this.raw('DELETE', path);
  }

  /** `method path` with `body` (when given) as JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: by default the JSON the test expects
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    return this.raw(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  }

  /** Send `text` as the body as it is, with the key unless `headers` set authorization. */
  // biome-ignore lint/suspicious/noExplicitAny: by default the JSON the test expects
  async raw<T = any>(
    method: string,
    path: string,
    text?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(this.#key === null ? {} : { authorization: `Bearer ${this.#key}` }),
        ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(text === undefined ? {} : { body: text }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = await res.text();
    let parsed: unknown = answer;
    try {
      parsed = JSON.parse(answer);
    } catch {
      // Not JSON (a probe's text): the text itself.
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
}
