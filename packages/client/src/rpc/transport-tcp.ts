/**
 * TCP and TLS transports (`fmprpc://` and `fmprpc+tls://`, docs/protocol.md, "Transports"): a
 * tls.TLSSocket is a net.Socket, so one class serves both. Socket events go to module-level
 * functions that find their transport through the socket, so a connection costs no closures
 * (as ws does): a server holds tens of thousands of connections.
 */
import {
  createServer as createNetServer,
  isIP,
  connect as netConnect,
  type Server,
  type Socket,
} from 'node:net';
import {
  createServer as createTlsServer,
  type ConnectionOptions as TlsConnectionOptions,
  type TlsOptions,
  connect as tlsConnect,
} from 'node:tls';
import { type ConnectOptions, waitForConnection } from './connect-wait.js';
import { RpcSession, type RpcSessionOptions } from './session.js';
import { type OnSession, SessionSet } from './session-set.js';
import type { Transport, TransportSink } from './transport.js';

/** After `close()`, how long a peer gets to take the last bytes before the socket is destroyed. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Idle time before the first TCP keepalive probe, ms: a peer that vanished without a FIN (a phone
 * that lost its network, a NAT that forgot the mapping) is found in about a minute and a half
 * instead of after the OS's default of 2 h, and its socket, buffers and login are released.
 */
export const TCP_KEEPALIVE_DELAY_MS = 30_000;

/** Bytes held corked within one tick before they are handed to the kernel early. */
const CORK_LIMIT_BYTES = 64 * 1024;

const kTransport = Symbol('gregor.rpc.transport');
type TaggedSocket = Socket & { [kTransport]?: TcpTransport };

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** A transport over a connected net.Socket or tls.TLSSocket. */
export class TcpTransport implements Transport {
  readonly #socket: TaggedSocket;
  readonly remoteAddress: string;
  #sink: TransportSink | undefined;
  /** The first socket error, reported with the close. */
  #error: Error | undefined;
  /** Destroys the socket when the peer does not finish closing. */
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** True while writes of this tick are held back to go out in one writev. */
  #isCorked = false;
  /** Bytes written since the socket was corked, not yet handed to the kernel. */
  #corkedBytes = 0;

  constructor(socket: Socket) {
    this.#socket = socket as TaggedSocket;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // Latency matters more than packet count, and the writes of a tick are corked together.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
    this.#socket[kTransport] = this;
  }

  // Socket listeners: static, with the socket as `this`, so a connection costs no closures.
  static #onData(this: TaggedSocket, chunk: Buffer): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport === undefined) return;
    // A plain Uint8Array view, so decoded bytes are the same type on every transport.
    transport.#sink?.onTransportData(
      new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
  }

  static #onError(this: TaggedSocket, err: Error): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport !== undefined) transport.#error ??= err;
  }

  static #onClose(this: TaggedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport === undefined) return;
    clearTimeout(transport.#graceTimer);
    transport.#sink?.onTransportClose(transport.#error);
  }

  get writeBufferBytes(): number {
    return this.#socket.writableLength;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    const socket = this.#socket;
    socket.on('data', TcpTransport.#onData);
    socket.on('error', TcpTransport.#onError);
    socket.on('close', TcpTransport.#onClose);
    if (socket.destroyed) queueMicrotask(() => TcpTransport.#onClose.call(socket));
  }

  static #uncork(transport: TcpTransport): void {
    transport.#isCorked = false;
    transport.#corkedBytes = 0;
    transport.#socket.uncork();
  }

  write(chunks: readonly Uint8Array[]): void {
    const socket = this.#socket;
    if (!socket.writable) return;
    // One write path: every frame written in this tick (64 pipelined answers, a burst of
    // broadcasts) leaves in one writev on the next tick, not one syscall each.
    if (!this.#isCorked) {
      this.#isCorked = true;
      socket.cork();
      process.nextTick(TcpTransport.#uncork, this);
    }
    for (const chunk of chunks) {
      socket.write(chunk);
      this.#corkedBytes += chunk.byteLength;
    }
    if (this.#corkedBytes >= CORK_LIMIT_BYTES) {
      // A big burst goes to the kernel now, so what stays held within a tick is bounded.
      this.#corkedBytes = 0;
      socket.uncork();
      socket.cork();
    }
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(): void {
    const socket = this.#socket;
    if (socket.destroyed || this.#graceTimer !== undefined) return;
    // end() flushes queued frames (an error answer, say) before the FIN; the timer bounds a peer
    // that never closes its side.
    socket.end();
    this.#graceTimer = setTimeout(destroySocket, CLOSE_GRACE_MS, socket);
    this.#graceTimer.unref();
  }
}

/** Where and how to listen. */
export interface ListenTcpOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Serve TLS with these options (key, cert, …) instead of plain TCP. */
  tls?: TlsOptions;
  /** Options of every accepted session. */
  session?: Omit<RpcSessionOptions, 'id'>;
}

/** A listening TCP or TLS server. */
export interface RpcListener {
  /** The bound address (the real port when 0 was asked). */
  readonly address: { host: string; port: number };
  /** Live sessions. */
  readonly sessions: ReadonlySet<RpcSession>;
  /** Stop accepting, close every session, resolve once the server is closed. */
  close(): Promise<void>;
}

/** Listen for framed msgpack-rpc connections; `onSession` gets each one. */
export async function listenTcp(
  options: ListenTcpOptions,
  onSession: OnSession,
): Promise<RpcListener> {
  const set = new SessionSet(options.session ?? {}, onSession);
  const accept = (socket: Socket): void => {
    set.open(new TcpTransport(socket));
  };
  const server: Server =
    options.tls === undefined ? createNetServer(accept) : createTlsServer(options.tls, accept);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  return {
    address: { host, port },
    sessions: set.sessions,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await set.closeAll();
      await closed;
    },
  };
}

/** Where to connect. */
export interface ConnectTcpOptions extends ConnectOptions {
  host?: string;
  port: number;
  /** Connect with TLS using these options (ca, servername, …). */
  tls?: TlsConnectionOptions;
  session?: RpcSessionOptions;
}

/** Connect to a framed msgpack-rpc server over TCP or TLS and return the session. */
export async function connectTcp(options: ConnectTcpOptions): Promise<RpcSession> {
  const host = options.host ?? '127.0.0.1';
  const socket =
    options.tls === undefined
      ? netConnect({ host, port: options.port })
      : tlsConnect({
          // SNI takes a host name only; an IP address there is refused by Node.
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...options.tls,
          host,
          port: options.port,
        });
  const ready = options.tls === undefined ? 'connect' : 'secureConnect';
  await waitForConnection(socket, ready, `${host}:${options.port}`, options, () =>
    socket.destroy(),
  );
  return new RpcSession(new TcpTransport(socket), options.session);
}
