/** The HTTP Listener: the HTTP side (WebSocket RPC, /healthz, /readyz, /metrics) as one transport. */
import { DEFAULT_WS_PATH, HttpSide } from './http-side.js';
import type { Listener, ListenerContext } from './listener.js';
import type { HttpListenOptions } from './server-options.js';

/** Serves WebSocket RPC sessions and the operators' endpoints on an HTTP port (`listen.http`). */
export class HttpListener implements Listener {
  readonly name = 'http';
  readonly #options: HttpListenOptions;
  #side: HttpSide | undefined;

  constructor(options: HttpListenOptions) {
    this.#options = options;
  }

  async start(context: ListenerContext): Promise<{ host: string; port: number }> {
    const { host, port, wsPath, allowedOrigins } = this.#options;
    this.#side = await HttpSide.listen({
      host,
      port,
      wsPath: wsPath ?? DEFAULT_WS_PATH,
      session: context.session,
      onSession: context.onSession,
      registry: context.registry,
      storage: context.storage,
      bus: context.bus,
      ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
    });
    return this.#side.address;
  }

  async close(): Promise<void> {
    await this.#side?.close();
  }
}
