/**
 * A transport over the standard (WHATWG) WebSocket interface, for browsers: binary messages carry
 * the framed byte stream, as on the Node transport (transport-node-ws.ts), so any gregord WebSocket
 * endpoint serves both. It uses no Node module; `ws`'s client implements the same interface, so
 * the tests run it in Node against a real server.
 */
import { gregorError } from '../errors.js';
import { RpcSession, type RpcSessionOptions } from './session.js';
import type { Transport, TransportSink } from './transport.js';

/** The part of the standard WebSocket this transport uses. */
export interface StandardWebSocket extends EventTarget {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A standard WebSocket constructor: the browser's global one, or `ws`'s in Node. */
export type StandardWebSocketClass = new (url: string) => StandardWebSocket;

const OPEN = 1;
const CLOSED = 3;

/**
 * A transport over an open standard WebSocket. Browsers cannot stop a WebSocket from reading, so
 * `pause()` holds arriving messages until `resume()`; the peer's own bounds limit how many.
 */
export class StandardWebSocketTransport implements Transport {
  readonly remoteAddress: string;
  readonly #ws: StandardWebSocket;
  #sink: TransportSink | undefined;
  #held: Uint8Array[] | undefined;
  #error: Error | undefined;
  #isClosed = false;

  constructor(ws: StandardWebSocket, remoteAddress: string) {
    this.#ws = ws;
    this.remoteAddress = remoteAddress;
    ws.binaryType = 'arraybuffer';
  }

  // EventTarget calls an object's handleEvent with the object as `this`: one listener, no closures.
  handleEvent(event: Event): void {
    if (event.type === 'message') this.#onMessage((event as MessageEvent).data);
    else if (event.type === 'error')
      this.#error ??= gregorError('GREGOR_ERR_CLOSED', 'WebSocket error');
    else if (event.type === 'close') this.#onClose();
  }

  #onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.#error ??= gregorError(
        'GREGOR_ERR_PROTOCOL_BAD_FRAME',
        'text WebSocket message received',
      );
      // 1003: unsupported data (RFC 6455 §7.4.1).
      this.#ws.close(1003, 'binary messages only');
      return;
    }
    const chunk = new Uint8Array(data);
    if (this.#held !== undefined) this.#held.push(chunk);
    else this.#sink?.onTransportData(chunk);
  }

  #onClose(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#held = undefined;
    this.#sink?.onTransportClose(this.#error);
  }

  get writeBufferBytes(): number {
    return this.#ws.bufferedAmount;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    for (const type of ['message', 'error', 'close']) this.#ws.addEventListener(type, this);
    if (this.#ws.readyState === CLOSED) queueMicrotask(() => this.#onClose());
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.#ws.readyState !== OPEN) return;
    if (chunks.length === 1) {
      this.#ws.send(chunks[0] as Uint8Array);
      return;
    }
    let total = 0;
    for (const chunk of chunks) total += chunk.byteLength;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.byteLength;
    }
    this.#ws.send(joined);
  }

  pause(): void {
    this.#held ??= [];
  }

  resume(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) return;
    for (let i = 0; i < held.length; i++) {
      // Delivering may pause again: what is left waits, in order, for the next resume.
      const pausedAgain = this.#held as Uint8Array[] | undefined;
      if (pausedAgain !== undefined) {
        pausedAgain.push(...held.slice(i));
        return;
      }
      this.#sink?.onTransportData(held[i] as Uint8Array);
    }
  }

  close(): void {
    if (this.#ws.readyState < 2) this.#ws.close(1000);
  }
}

/** Options of `connectStandardWebSocket`. */
export interface ConnectStandardWebSocketOptions {
  /** The WebSocket class to use. @default globalThis.WebSocket (browsers, Node ≥ 22) */
  WebSocket?: StandardWebSocketClass;
  /** Give up after this many ms with GREGOR_ERR_TIMEOUT. @default 10000 */
  timeoutMs?: number;
  /** Aborting gives up the attempt with GREGOR_ERR_ABORTED. */
  signal?: AbortSignal;
  session?: RpcSessionOptions;
}

/** Open a standard WebSocket to `url` (ws:// or wss://) and run an RpcSession over it. */
export function connectStandardWebSocket(
  url: string,
  options: ConnectStandardWebSocketOptions = {},
): Promise<RpcSession> {
  const Class =
    options.WebSocket ?? (globalThis as { WebSocket?: StandardWebSocketClass }).WebSocket;
  if (Class === undefined) {
    return Promise.reject(
      gregorError('GREGOR_ERR_CONFIG_INVALID', 'no WebSocket class: pass options.WebSocket'),
    );
  }
  const ws = new Class(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      clearTimeout(timer);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve(new RpcSession(new StandardWebSocketTransport(ws, url), options.session));
      } else {
        ws.close();
        reject(err);
      }
    };
    const onOpen = (): void => settle();
    const onError = (): void =>
      settle(gregorError('GREGOR_ERR_CLOSED', `cannot connect to ${url}`));
    const timer = setTimeout(
      () =>
        settle(
          gregorError('GREGOR_ERR_TIMEOUT', `connecting to ${url} timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    const onAbort = (): void =>
      settle(gregorError('GREGOR_ERR_ABORTED', `connecting to ${url} aborted`));
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onError);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
