/**
 * A small fetch client for the HTTP API tests: JSON in and out with the test key, answering the
 * status, the headers and the parsed body (or the text, when it is not JSON).
 */

/** The key the API tests configure. */
export const API_KEY = 'test-api-key-0123456789';

/** An answer of the API. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON they expect
  body: any;
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

  get(path: string, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    return this.request('GET', path, undefined, headers);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    return this.request('POST', path, JSON.stringify(body), headers);
  }

  delete(path: string): Promise<ApiAnswer> {
    return this.request('DELETE', path);
  }

  /** Send `body` as it is (text), with the key unless `headers` set authorization. */
  async request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(this.#key === null ? {} : { authorization: `Bearer ${this.#key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a probe's text): the text itself.
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}
