/**
 * A loopback TCP proxy in front of a shared service (PostgreSQL, MariaDB) that can be frozen: it
 * stops forwarding in both directions while every socket stays open, as a hung database host or a
 * silent network does. The shared server itself is never touched. Unfreezing forwards again, and
 * closing a side closes its pair.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface FreezableProxy {
  /** The port to connect to instead of the service's. */
  readonly port: number;
  /** Stop forwarding: bytes stay unread on every open and new connection. */
  freeze(): void;
  /** Forward again, the bytes held meanwhile first. */
  unfreeze(): void;
  /** Close the listener and every forwarded connection. */
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1 forwarding to `target`. */
export async function startFreezableProxy(target: {
  host: string;
  port: number;
}): Promise<FreezableProxy> {
  const sockets = new Set<Socket>();
  let isFrozen = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (isFrozen) socket.pause();
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    track(client);
    track(upstream);
    // Not pipe(): it resumes a paused source whenever its destination drains.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    freeze() {
      isFrozen = true;
      for (const socket of sockets) socket.pause();
    },
    unfreeze() {
      isFrozen = false;
      for (const socket of sockets) socket.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: FreezableProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}
