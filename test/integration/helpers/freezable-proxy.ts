/**
 * A loopback TCP proxy in front of a real server (a shared database) that can be frozen: its
 * sockets stay open but nothing more goes through either way, as with a database host that stopped
 * answering. The shared server itself is never touched.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** The proxy: `port` forwards to the target until `freeze()`. */
export class FreezableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #isFrozen = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listen on a free loopback port, forwarding each connection to `host:port`. */
  static async start(host: string, port: number): Promise<FreezableProxy> {
    const server = createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => proxy.#forward(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Stop moving bytes on every connection, current and future; sockets stay open. */
  freeze(): void {
    this.#isFrozen = true;
    for (const socket of this.#sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  /** Drop every connection and stop listening. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #forward(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    if (this.#isFrozen) {
      client.pause();
      return;
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
