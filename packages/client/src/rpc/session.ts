/**
 * One framed msgpack-rpc connection, both directions at once (docs/protocol.md, "Messages"): it
 * calls the peer (its own seqnos, responses in any order) and serves the peer's calls through a
 * handler registry. It knows nothing of gregor beyond Status errors.
 *
 * Severity: a bad frame, an undecodable payload or a broken non-call message closes the session
 * (the stream can no longer be trusted); a bad call, an unknown method or a failing handler is
 * answered with an error and the session stays open. Every buffer is bounded: the frame size, the
 * pending-call table, the handlers running at once (reading pauses beyond, resumes as they finish)
 * and the write buffer (a slow reader past it is closed with GREGOR_ERR_OVERLOADED).
 */
import { type GregorError, gregorError, isGregorError } from '../errors.js';
import { type DecodeLimits, encodeCanonical } from '../protocol/index.js';
import { TypedEmitter } from './emitter.js';
import { FrameReadDeadline } from './frame-read-deadline.js';
import { encodeLengthPrefix, FrameDecoder } from './framing.js';
import { type Handler, HandlerRegistry } from './handler-registry.js';
import { IncomingCalls } from './incoming-calls.js';
import { type RpcLogger, silentLogger } from './logger.js';
import {
  callSeqOf,
  decodeFrame,
  encodeCallHeader,
  encodeMessage,
  MESSAGE_TYPE,
  parseMessage,
  type RpcMessage,
} from './message.js';
import { type RpcLimits, type RpcLimitsInput, resolveRpcLimits } from './options.js';
import { type CallOptions, PendingCalls } from './pending-calls.js';
import { fromStatus } from './status.js';
import type { Transport, TransportSink } from './transport.js';

/** Options of a session. */
export interface RpcSessionOptions {
  /** Size limits and timeouts; see `options.ts` for each default. */
  limits?: RpcLimitsInput | RpcLimits;
  /** Handlers of incoming calls; may be shared by many sessions. @default a new, empty registry */
  handlers?: HandlerRegistry;
  /** Where handler failures and protocol faults are logged. @default silent */
  logger?: RpcLogger;
  /** Name of the session in logs. @default `rpc-<n>` */
  id?: string;
}

/** Events of a session. */
export type RpcSessionEvents = {
  /** Closed, exactly once; `err` says why when it was not a clean close. */
  close: [err: GregorError | undefined];
  /** A fatal fault (bad frame, overload, socket failure), at most once, just before 'close'. */
  error: [err: GregorError];
  /**
   * A call's arguments were refused for their encoding (undecodable, or too large once
   * decompressed); the call was answered with `err` and the session stays open.
   */
  refused: [err: GregorError];
};

let sessionCount = 0;

/**
 * Run `fn(session)` in a later turn of the event loop, after pending I/O callbacks: setImmediate
 * in Node, a zero timeout in browsers.
 */
const laterTurn: (fn: (session: RpcSession) => void, session: RpcSession) => void =
  typeof setImmediate === 'function'
    ? (fn, session) => {
        setImmediate(fn, session);
      }
    : (fn, session) => {
        setTimeout(fn, 0, session);
      };

function asGregorError(err: unknown): GregorError {
  if (isGregorError(err)) return err;
  const message = err instanceof Error ? err.message : 'connection failed';
  return gregorError('GREGOR_ERR_CLOSED', message, { cause: err });
}

/** The decode limits of frames of at most `maxBytes`: no str or bin is longer than its frame. */
function decodeLimitsOf(limits: RpcLimits, maxBytes: number): DecodeLimits {
  return {
    maxBytesLength: maxBytes,
    maxDepth: limits.maxFrameDepth,
    maxValues: limits.maxFrameValues,
  };
}

/** A framed msgpack-rpc session over one transport. */
export class RpcSession extends TypedEmitter<RpcSessionEvents> implements TransportSink {
  /** Name in logs. */
  readonly id: string;
  /** The handlers serving the peer's calls. */
  readonly handlers: HandlerRegistry;
  readonly #transport: Transport;
  readonly #limits: RpcLimits;
  #decodeLimits: DecodeLimits;
  readonly #logger: RpcLogger;
  readonly #decoder: FrameDecoder;
  readonly #pending: PendingCalls;
  readonly #incoming: IncomingCalls;
  readonly #frameDeadline: FrameReadDeadline;
  #isReadPaused = false;
  #isClosed = false;
  /** A write-buffer check is due at the end of this turn; see #endTurn. */
  #isTurnEndScheduled = false;
  #closeError: GregorError | undefined;
  #closeWaiters: ((err: GregorError | undefined) => void)[] = [];

  constructor(transport: Transport, options: RpcSessionOptions = {}) {
    super();
    this.id = options.id ?? `rpc-${++sessionCount}`;
    this.handlers = options.handlers ?? new HandlerRegistry();
    this.#transport = transport;
    this.#limits = resolveRpcLimits(options.limits);
    this.#decodeLimits = decodeLimitsOf(this.#limits, this.#limits.maxFrameBytes);
    this.#logger = options.logger ?? silentLogger;
    this.#decoder = new FrameDecoder(this.#limits.maxFrameBytes);
    this.#pending = new PendingCalls(
      this.#limits.maxPendingCalls,
      this.#limits.callTimeoutMs,
      // A call given up locally is cancelled on the peer (type 3), as Go does.
      (seq, method) => this.#sendMessage({ type: MESSAGE_TYPE.cancel, seq, method }),
    );
    this.#incoming = new IncomingCalls({
      session: this,
      handlers: this.handlers,
      logger: this.#logger,
      limits: this.#limits,
      decodeLimits: () => this.#decodeLimits,
      send: (payload) => this.#sendFrame(payload, undefined, payload.byteLength),
      setReadPaused: (isPaused) => this.#setReadPaused(isPaused),
      onRefused: (err) => this.emit('refused', err),
    });
    this.#frameDeadline = new FrameReadDeadline(this.#limits.frameReadTimeoutMs, (ms) =>
      this.#fail(
        gregorError('GREGOR_ERR_PROTOCOL_FRAME_TIMEOUT', `frame not completed within ${ms} ms`),
      ),
    );
    transport.attach(this);
  }

  /** The session's resolved limits. */
  get limits(): RpcLimits {
    return this.#limits;
  }

  /** The largest frame accepted from the peer now, in bytes (see {@link setFrameLimit}). */
  get frameLimit(): number {
    return this.#decodeLimits.maxBytesLength;
  }

  /**
   * Accept frames of at most `maxBytes` from the peer from the next length prefix on, and
   * decompress call arguments to at most as much; at most `limits.maxFrameBytes`. A server lowers
   * it until the peer has logged in, so a stranger cannot make it read or decode much.
   */
  setFrameLimit(maxBytes: number): void {
    const bytes = Math.min(maxBytes, this.#limits.maxFrameBytes);
    this.#decoder.maxFrameBytes = bytes;
    this.#decodeLimits = decodeLimitsOf(this.#limits, bytes);
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Outgoing calls awaiting a response. */
  get pendingCalls(): number {
    return this.#pending.size;
  }

  /** Incoming calls whose handlers are running. */
  get runningCalls(): number {
    return this.#incoming.running;
  }

  /** Bytes written and not yet sent; past `maxWriteBufferBytes` the session closes. */
  get writeBufferBytes(): number {
    return this.#transport.writeBufferBytes;
  }

  /** The peer's address, for logs. */
  get remoteAddress(): string {
    return this.#transport.remoteAddress;
  }

  /** Serve `method` (full name) with `handler` on this session's registry. */
  handle(method: string, handler: Handler): this {
    this.handlers.register(method, handler);
    return this;
  }

  /**
   * Call `method` with `arg` (sent as the one-element args array `[arg]`) and resolve with the
   * peer's result. Rejects with the peer's error (see `fromStatus`), GREGOR_ERR_TIMEOUT,
   * GREGOR_ERR_ABORTED, GREGOR_ERR_CLOSED or GREGOR_ERR_RPC_TOO_MANY_PENDING.
   */
  call(method: string, arg: unknown, opts?: CallOptions): Promise<unknown> {
    let argsBytes: Uint8Array;
    try {
      argsBytes = encodeCanonical([arg]);
    } catch (err) {
      return Promise.reject(
        gregorError('GREGOR_ERR_INPUT_INVALID', `cannot encode ${method} args`, { cause: err }),
      );
    }
    return this.callPreEncoded(method, argsBytes, opts);
  }

  /**
   * Call `method` with args already encoded: `argsBytes` is the msgpack of the whole args array.
   * A broadcast encodes its args once and every connection splices the same bytes after its own
   * small header, so a broadcast costs one encoding whatever the number of connections.
   * `argsBytes` must not be modified afterwards.
   */
  callPreEncoded(method: string, argsBytes: Uint8Array, opts?: CallOptions): Promise<unknown> {
    if (this.#isClosed) return Promise.reject(this.#closedError());
    let call: { seq: number; result: Promise<unknown> };
    try {
      call = this.#pending.add(method, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const header = encodeCallHeader(call.seq, method);
    const length = header.byteLength + argsBytes.byteLength;
    if (length > this.#limits.maxFrameBytes) {
      this.#pending.settle(
        call.seq,
        gregorError(
          'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
          `call ${method} exceeds maxFrameBytes (${length})`,
        ),
        undefined,
      );
    } else {
      this.#sendFrame(header, argsBytes, length);
    }
    return call.result;
  }

  /** Send a notify (no response). Throws GREGOR_ERR_CLOSED when closed. */
  notify(method: string, arg: unknown): void {
    if (this.#isClosed) throw this.#closedError();
    this.#sendMessage({ type: MESSAGE_TYPE.notify, method, args: [arg] });
  }

  /**
   * Close the session: pending calls reject with GREGOR_ERR_CLOSED (their `cause` is `err`),
   * running handlers see their signal abort, the transport is closed and 'close' fires with `err`.
   * Idempotent.
   */
  close(err?: GregorError): void {
    this.#shutdown(err, false);
    this.#transport.close();
  }

  /** Resolves once closed, with the reason (undefined for a clean close). */
  closed(): Promise<GregorError | undefined> {
    if (this.#isClosed) return Promise.resolve(this.#closeError);
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** @internal Transport callback: bytes arrived. */
  onTransportData(chunk: Uint8Array): void {
    if (this.#isClosed) return;
    this.#decoder.push(chunk);
    this.#drain();
    this.#watchFrameDeadline();
  }

  /** @internal Transport callback: the transport is gone. */
  onTransportClose(err?: Error): void {
    this.#shutdown(err === undefined ? undefined : asGregorError(err), true);
  }

  #setReadPaused(isPaused: boolean): void {
    if (isPaused === this.#isReadPaused || this.#isClosed) return;
    this.#isReadPaused = isPaused;
    if (isPaused) {
      this.#transport.pause();
    } else {
      this.#transport.resume();
      this.#drain();
    }
    this.#watchFrameDeadline();
  }

  /** Arm or clear the deadline of a partly received frame (frame-read-deadline.ts). */
  #watchFrameDeadline(): void {
    if (this.#isClosed) return;
    // Not paused, so #drain stopped for want of bytes: what is buffered is an unfinished frame.
    const isMidFrame = !this.#isReadPaused && this.#decoder.bufferedBytes > 0;
    this.#frameDeadline.update(isMidFrame, this.#decoder.framesRead);
  }

  /** A fatal fault: log it, emit 'error' once, then close. */
  #fail(err: GregorError): void {
    if (this.#isClosed) return;
    // What a peer sent is the peer's fault, logged at debug so a stranger cannot fill the logs
    // (a server counts these in a metric); a local failure is worth a warning.
    const level = err.code.startsWith('GREGOR_ERR_PROTOCOL_') ? 'debug' : 'warn';
    this.#logger[level](
      { session: this.id, code: err.code, err: err.message },
      'rpc session failed',
    );
    this.#shutdown(err, true);
    this.#transport.close();
  }

  #drain(): void {
    while (!this.#isReadPaused && !this.#isClosed) {
      let payload: Uint8Array | undefined;
      try {
        payload = this.#decoder.next();
      } catch (err) {
        this.#fail(asGregorError(err));
        return;
      }
      if (payload === undefined) return;
      this.#dispatch(payload);
    }
  }

  #dispatch(payload: Uint8Array): void {
    let value: unknown;
    try {
      value = decodeFrame(payload, this.#decodeLimits);
    } catch (err) {
      this.#fail(asGregorError(err));
      return;
    }
    let message: RpcMessage;
    try {
      message = parseMessage(value);
    } catch (err) {
      const seq = callSeqOf(value);
      if (seq === undefined) this.#fail(asGregorError(err));
      else this.#incoming.answerError(seq, err, '(malformed call)');
      return;
    }
    switch (message.type) {
      case MESSAGE_TYPE.response: {
        const { seq, error, result } = message;
        if (!this.#pending.settle(seq, fromStatus(error), result)) {
          // A late answer to a call that timed out or was aborted; Go logs it too.
          this.#logger.debug({ session: this.id, seq }, 'response to no pending call');
        }
        return;
      }
      case MESSAGE_TYPE.cancel:
        this.#incoming.cancel(message.seq);
        return;
      default:
        this.#incoming.start(message, payload.byteLength);
    }
  }

  #sendMessage(message: RpcMessage): void {
    if (this.#isClosed) return;
    const payload = encodeMessage(message);
    this.#sendFrame(payload, undefined, payload.byteLength);
  }

  #sendFrame(head: Uint8Array, tail: Uint8Array | undefined, length: number): void {
    if (this.#isClosed) return;
    const prefix = encodeLengthPrefix(length);
    this.#transport.write(tail === undefined ? [prefix, head] : [prefix, head, tail]);
    if (!this.#isTurnEndScheduled) {
      this.#isTurnEndScheduled = true;
      laterTurn(RpcSession.#endTurn, this);
    }
  }

  /**
   * Close a slow reader, so its unread bytes cannot grow without bound, checked once per turn of
   * the event loop in which the session wrote. Not at each write: transports batch a turn's frames
   * until it ends, and TLS counts bytes as sent only in the next I/O phase, so a burst of
   * broadcasts to a fast reader would look like a stall. What is still unsent a turn later is a
   * stall. Within one turn the bytes written are bounded by the caller (pending calls, handler
   * results).
   */
  static #endTurn(session: RpcSession): void {
    session.#isTurnEndScheduled = false;
    const pendingBytes = session.#transport.writeBufferBytes;
    const max = session.#limits.maxWriteBufferBytes;
    if (session.#isClosed || pendingBytes <= max) return;
    session.#fail(
      gregorError(
        'GREGOR_ERR_OVERLOADED',
        `write buffer ${pendingBytes} bytes exceeds maxWriteBufferBytes ${max}`,
      ),
    );
  }

  #closedError(): GregorError {
    return gregorError('GREGOR_ERR_CLOSED', 'rpc session closed', { cause: this.#closeError });
  }

  #shutdown(err: GregorError | undefined, isFault: boolean): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#closeError = err;
    this.#frameDeadline.stop();
    this.#pending.rejectAll(this.#closedError());
    this.#incoming.abortAll(this.#closedError());
    if (isFault && err !== undefined) this.emit('error', err);
    this.emit('close', err);
    for (const resolve of this.#closeWaiters) resolve(err);
    this.#closeWaiters = [];
  }
}
