/**
 * The HTTP Listener: the HTTP side (WebSocket RPC, /healthz, /readyz, /metrics, and the HTTP API
 * when `api` is given) as one transport.
 */
import { ApiKeys } from './api-keys.js';
import {
  DEFAULT_API_MAX_BODY_BYTES,
  DEFAULT_API_MAX_IN_FLIGHT_PER_KEY,
  DEFAULT_WS_PATH,
  HttpSide,
} from './http-side.js';
import type { Listener, ListenerContext } from './listener.js';
import type { HttpListenOptions } from './server-options.js';

/** Serves WebSocket RPC sessions and the operators' endpoints on an HTTP port (`listen.http`). */
export class HttpListener implements Listener {
  readonly name = 'http';
  readonly #options: HttpListenOptions;
  readonly #keys: ApiKeys | undefined;
  #side: HttpSide | undefined;

  /** Throws GREGOR_ERR_CONFIG_INVALID for a bad API key. */
  constructor(options: HttpListenOptions) {
    this.#options = options;
    const keys = options.api?.keys;
    this.#keys = keys === undefined || keys instanceof ApiKeys ? keys : ApiKeys.of(keys);
  }

  async start(context: ListenerContext): Promise<{ host: string; port: number }> {
    const { host, port, wsPath, allowedOrigins, api } = this.#options;
    this.#side = await HttpSide.listen({
      host,
      port,
      wsPath: wsPath ?? DEFAULT_WS_PATH,
      session: context.session,
      onSession: context.onSession,
      registry: context.registry,
      metrics: context.metrics,
      storage: context.storage,
      bus: context.bus,
      ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
      ...(api === undefined || this.#keys === undefined
        ? {}
        : {
            api: {
              keys: this.#keys,
              backend: context.backend,
              maxBodyBytes: api.maxBodyBytes ?? DEFAULT_API_MAX_BODY_BYTES,
              maxInFlightPerKey: api.maxInFlightPerKey ?? DEFAULT_API_MAX_IN_FLIGHT_PER_KEY,
            },
          }),
    });
    return this.#side.address;
  }

  async close(): Promise<void> {
    await this.#side?.close();
  }
}
