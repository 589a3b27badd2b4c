/**
 * WebSocket transport over Node's `ws` library (ws 8): binary messages carry the framed byte
 * stream, exactly the bytes a TCP connection would carry, so framing and sessions are shared with
 * TCP. A text message is a protocol error and closes the connection. The server side attaches to a
 * caller's http.Server, so one port can also serve /metrics and /healthz.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { gregorError } from '../errors.js';
import { type ConnectOptions, waitForConnection } from './connect-wait.js';
import { MAX_LENGTH_PREFIX_BYTES } from './framing.js';
import { resolveRpcLimits } from './options.js';
import { RpcSession, type RpcSessionOptions } from './session.js';
import { type OnSession, SessionSet } from './session-set.js';
import type { Transport, TransportSink } from './transport.js';
import { CLOSE_GRACE_MS } from './transport-tcp.js';

/**
 * Frames written in one tick are joined into one WebSocket message up to this size (or the
 * peer's frame limit when smaller); a larger write goes alone, in fragments.
 */
const BATCH_LIMIT_BYTES = 16 * 1024;

const kTransport = Symbol('gregor.rpc.transport');
type TaggedWebSocket = WebSocket & { [kTransport]?: NodeWebSocketTransport };

/** ws reports WebSocket protocol faults with `WS_ERR_*` codes; they are frame faults to us. */
function classify(err: Error & { code?: string }): Error {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return gregorError('GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE', err.message, { cause: err });
  }
  if (err.code?.startsWith('WS_ERR_')) {
    return gregorError('GREGOR_ERR_PROTOCOL_BAD_FRAME', err.message, { cause: err });
  }
  return err;
}

function ignore(): void {}

function terminate(ws: WebSocket): void {
  ws.terminate();
}

/**
 * A transport over an open ws WebSocket. Not exported: no public declaration of this package may
 * name a type of `ws`, whose types are not a dependency of gregor-client.
 */
class NodeWebSocketTransport implements Transport {
  readonly #ws: TaggedWebSocket;
  readonly remoteAddress: string;
  #sink: TransportSink | undefined;
  /** The first failure, reported with the close. */
  #error: Error | undefined;
  /** Terminates when the closing handshake does not finish. */
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #batchLimitBytes: number;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;

  /**
   * @param maxMessageBytes largest WebSocket message the peer accepts (its frame limit plus a
   *   length prefix); batches of small frames never exceed it.
   */
  constructor(ws: WebSocket, remoteAddress: string, maxMessageBytes = BATCH_LIMIT_BYTES) {
    this.#ws = ws as TaggedWebSocket;
    this.remoteAddress = remoteAddress;
    this.#batchLimitBytes = Math.min(BATCH_LIMIT_BYTES, maxMessageBytes);
    ws.binaryType = 'nodebuffer';
    this.#ws[kTransport] = this;
  }

  // WebSocket listeners: static, with the WebSocket as `this`, so a connection costs no closures.
  static #onMessage(this: TaggedWebSocket, data: Buffer, isBinary: boolean): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport === undefined) return;
    if (isBinary) {
      // A plain Uint8Array view, so decoded bytes are the same type on every transport.
      transport.#sink?.onTransportData(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
      return;
    }
    transport.#error ??= gregorError(
      'GREGOR_ERR_PROTOCOL_BAD_FRAME',
      'text WebSocket message received',
    );
    // 1003: unsupported data (RFC 6455 §7.4.1).
    transport.#ws.close(1003, 'binary messages only');
  }

  static #onError(this: TaggedWebSocket, err: Error): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport !== undefined) transport.#error ??= classify(err);
  }

  static #onClose(this: TaggedWebSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: an emitter calls its listeners with itself as `this`
    const transport = this[kTransport];
    if (transport === undefined) return;
    clearTimeout(transport.#graceTimer);
    transport.#sink?.onTransportClose(transport.#error);
  }

  get writeBufferBytes(): number {
    return this.#ws.bufferedAmount + this.#batchBytes;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    const ws = this.#ws;
    ws.on('message', NodeWebSocketTransport.#onMessage);
    ws.on('error', NodeWebSocketTransport.#onError);
    ws.on('close', NodeWebSocketTransport.#onClose);
    if (ws.readyState === WebSocket.CLOSED) {
      queueMicrotask(() => NodeWebSocketTransport.#onClose.call(ws));
    }
  }

  write(chunks: readonly Uint8Array[]): void {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    let total = 0;
    for (const chunk of chunks) total += chunk.byteLength;
    if (total > this.#batchLimitBytes) {
      this.#flush();
      // One message in fragments: a large args payload shared by a broadcast is not copied.
      chunks.forEach((chunk, i) => {
        ws.send(chunk, { binary: true, fin: i === chunks.length - 1 });
      });
      return;
    }
    if (this.#batchBytes + total > this.#batchLimitBytes) this.#flush();
    // The frames of one tick leave as one message on the next tick, not one send each.
    if (this.#batchBytes === 0) process.nextTick(NodeWebSocketTransport.#flushBatch, this);
    this.#batch.push(...chunks);
    this.#batchBytes += total;
  }

  static #flushBatch(transport: NodeWebSocketTransport): void {
    transport.#flush();
  }

  /** Send the frames batched so far as one message. */
  #flush(): void {
    if (this.#batchBytes === 0) return;
    const batch = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(Buffer.concat(batch, bytes));
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(): void {
    const ws = this.#ws;
    if (ws.readyState === WebSocket.CLOSED || this.#graceTimer !== undefined) return;
    this.#flush();
    ws.close(1000);
    this.#graceTimer = setTimeout(terminate, CLOSE_GRACE_MS, ws);
    this.#graceTimer.unref();
  }
}

/** Where to accept WebSocket sessions on an http(s) server. */
export interface AttachWebSocketOptions {
  /** The request path that upgrades, e.g. '/rpc'; other paths are left to other listeners. */
  path: string;
  /** Options of every accepted session. */
  session?: Omit<RpcSessionOptions, 'id'>;
  /**
   * Whether a page of `origin` (a browser's Origin header) may open a session; a refused upgrade
   * is answered 403. Requests without an Origin header (clients other than browsers) are never
   * asked about. @default every origin
   */
  isOriginAllowed?: (origin: string, req: IncomingMessage) => boolean;
}

/** WebSocket sessions attached to an http server. */
export interface WebSocketAttachment {
  readonly sessions: ReadonlySet<RpcSession>;
  /** Stop upgrading, close every session; the http server itself is left to its owner. */
  close(): Promise<void>;
}

/** The Origin a browser sent (`Sec-WebSocket-Origin` in the old hybi drafts), if any. */
function originOf(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? req.headers['sec-websocket-origin'];
  return Array.isArray(origin) ? origin[0] : origin;
}

/** Answer an upgrade with a plain HTTP error and drop the socket. */
function refuseUpgrade(socket: Duplex, status: 403, reason: string): void {
  const body = `${reason}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function remoteOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

/** Serve framed msgpack-rpc over WebSocket on `server` at `options.path`. */
export function attachWebSocketServer(
  server: HttpServer | HttpsServer,
  options: AttachWebSocketOptions,
  onSession: OnSession,
): WebSocketAttachment {
  const set = new SessionSet(options.session ?? {}, onSession);
  // A message carries stream bytes, at most one largest frame's worth.
  const maxPayload = set.limits.maxFrameBytes + MAX_LENGTH_PREFIX_BYTES;
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== options.path) {
      // Another upgrade listener may serve this path; with none, nobody would answer it.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    const origin = originOf(req);
    if (origin !== undefined && options.isOriginAllowed?.(origin, req) === false) {
      refuseUpgrade(socket, 403, 'origin not allowed');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      set.open(new NodeWebSocketTransport(ws, remoteOf(req), maxPayload));
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    sessions: set.sessions,
    async close() {
      server.off('upgrade', onUpgrade);
      await set.closeAll();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * The options of the ws client a caller may set, described here rather than as ws's own type, so
 * the published declarations need no type package of ws.
 */
export interface NodeWebSocketClientOptions
  extends Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'> {
  headers?: Record<string, string>;
}

/** How to connect over WebSocket. */
export interface ConnectNodeWebSocketOptions extends ConnectOptions {
  session?: RpcSessionOptions;
  /** Extra client options: TLS trust and identity, extra handshake headers. */
  ws?: NodeWebSocketClientOptions;
}

/** Connect to `url` (ws:// or wss://) and return the session. */
export async function connectNodeWebSocket(
  url: string,
  options: ConnectNodeWebSocketOptions = {},
): Promise<RpcSession> {
  const limits = resolveRpcLimits(options.session?.limits);
  const maxPayload = limits.maxFrameBytes + MAX_LENGTH_PREFIX_BYTES;
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload, ...options.ws });
  await waitForConnection(ws, 'open', url, options, () => {
    // Terminating a handshake in progress emits 'error' once more; nobody else listens yet.
    ws.on('error', ignore);
    ws.terminate();
  });
  return new RpcSession(new NodeWebSocketTransport(ws, url, maxPayload), {
    ...options.session,
    limits,
  });
}
