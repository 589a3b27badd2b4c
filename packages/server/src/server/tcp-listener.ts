/** The TCP (plain or TLS) Listener: the rpc layer's `listenTcp`, as one transport of the server. */
import { listenTcp, type RpcListener } from 'gregor-client/rpc';
import type { Listener, ListenerContext } from './listener.js';
import type { TcpListenOptions } from './server-options.js';

/** Serves framed msgpack-rpc on a TCP or TLS port (`listen.tcp`). */
export class TcpListener implements Listener {
  readonly name = 'tcp';
  readonly #options: TcpListenOptions;
  #listener: RpcListener | undefined;

  constructor(options: TcpListenOptions) {
    this.#options = options;
  }

  async start(context: ListenerContext): Promise<{ host: string; port: number }> {
    this.#listener = await listenTcp(
      { ...this.#options, session: context.session },
      context.onSession,
    );
    return this.#listener.address;
  }

  async close(): Promise<void> {
    await this.#listener?.close();
  }
}
