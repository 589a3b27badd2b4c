/**
 * The serving half of a session: runs the handlers of the peer's calls and notifies, answers
 * calls, honours cancels, and counts running handlers so the session can pause reading at the
 * bound (read back-pressure). Handlers never take the process down: a throw becomes an error
 * response (a bad argument or unknown method answers the call and keeps the connection).
 */
import { type GregorError, gregorError, hasPrivateDetail, isGregorError } from '../errors.js';
import { type DecodeLimits, decodeMsgpack, encodeCanonical } from '../protocol/index.js';
import { gunzip, gzip } from './compression.js';
import type { Handler, HandlerRegistry } from './handler-registry.js';
import type { RpcLogger } from './logger.js';
import {
  type CallMessage,
  COMPRESSION_TYPE,
  type CompressedCallMessage,
  decodeArgs,
  encodeMessage,
  MESSAGE_TYPE,
  type NotifyMessage,
} from './message.js';
import type { RpcLimits } from './options.js';
import type { RpcSession } from './session.js';
import { toStatus } from './status.js';

/** What the serving half needs from its session. */
export interface IncomingHost {
  readonly session: RpcSession;
  readonly handlers: HandlerRegistry;
  readonly logger: RpcLogger;
  readonly limits: RpcLimits;
  /** The limits incoming bytes are decoded within now; they follow the session's frame limit. */
  decodeLimits(): DecodeLimits;
  /** Write one frame payload (dropped once the session is closed). */
  send(payload: Uint8Array): void;
  /** A call's arguments were refused (undecodable, or too large once decompressed). */
  onRefused(err: GregorError): void;
  /** Pause or resume reading. */
  setReadPaused(isPaused: boolean): void;
}

/** The arguments of `message`, decoded now (decodeFrame left them encoded). */
function decodeArgsOf(message: ServedMessage): unknown {
  try {
    return decodeArgs(message.args);
  } catch (err) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'the arguments are not decodable', {
      cause: err,
    });
  }
}

/** Decompressed arguments, checked within `limits` as a frame is. */
function decodeDecompressed(plain: Uint8Array, limits: DecodeLimits): unknown {
  if (plain.byteLength === 0) return null;
  try {
    return decodeMsgpack(plain, limits);
  } catch (err) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'compressed args are not msgpack within limits', {
      cause: err,
    });
  }
}

/** A message that runs a handler. */
export type ServedMessage = CallMessage | NotifyMessage | CompressedCallMessage;

/** The incoming calls of one session. */
export class IncomingCalls {
  readonly #host: IncomingHost;
  /** Controllers of running calls by seqno, for cancels (type 3). */
  readonly #bySeq = new Map<number, AbortController>();
  /** Controllers of every running handler, calls and notifies, to abort them all on close. */
  readonly #controllers = new Set<AbortController>();
  #running = 0;
  /** Frame (and decompressed) bytes of the running handlers' calls. */
  #runningBytes = 0;

  constructor(host: IncomingHost) {
    this.#host = host;
  }

  /** Handlers running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Start serving `message`, which arrived in a frame of `frameBytes`. An unknown method, or one
   * the session may not call (the handler's admission check), is answered at once: nothing runs
   * and the arguments are never decoded.
   */
  start(message: ServedMessage, frameBytes: number): void {
    let handler: Handler;
    try {
      const entry = this.#host.handlers.lookup(message.method);
      entry.admit?.(this.#host.session, message.method);
      handler = entry.handler;
    } catch (err) {
      if (message.type === MESSAGE_TYPE.notify) this.#logFailure(err, message.method, undefined);
      else this.answerError(message.seq, err, message.method);
      return;
    }
    const controller = new AbortController();
    this.#controllers.add(controller);
    if (message.type !== MESSAGE_TYPE.notify) this.#bySeq.set(message.seq, controller);
    // A compressed call holds up to a frame's worth more once decompressed: reserve it now, so
    // a burst of small compressed calls cannot all decompress at once.
    // The limits in force when the frame arrived apply to all of it, even if a login changes them.
    const limits = this.#host.decodeLimits();
    const reserved =
      frameBytes + (message.type === MESSAGE_TYPE.callCompressed ? limits.maxBytesLength : 0);
    this.#running++;
    this.#addRunningBytes(reserved);
    void this.#serve(message, handler, controller, limits, reserved);
  }

  /** The peer cancelled call `seq`: abort its handler; no response will be sent. */
  cancel(seq: number): void {
    const controller = this.#bySeq.get(seq);
    if (controller === undefined) return;
    this.#bySeq.delete(seq);
    controller.abort(gregorError('GREGOR_ERR_ABORTED', 'call cancelled by the peer'));
  }

  /** The session closed: abort every running handler with `err`. */
  abortAll(err: GregorError): void {
    for (const controller of this.#controllers) controller.abort(err);
    this.#controllers.clear();
    this.#bySeq.clear();
  }

  /** Answer call `seq` with `err` as a Status. */
  answerError(seq: number, err: unknown, method: string): void {
    this.#logFailure(err, method, seq);
    this.#host.send(
      encodeMessage({ type: MESSAGE_TYPE.response, seq, error: toStatus(err), result: null }),
    );
  }

  /**
   * Reading pauses while the handlers running hold `maxConcurrentCalls` calls or a frame's worth of
   * bytes, so pipelined large calls cannot pile up decoded arguments.
   */
  #addRunningBytes(bytes: number): void {
    this.#runningBytes += bytes;
    this.#updateReadPause();
  }

  /** Pause reading at the bounds, resume below them. */
  #updateReadPause(): void {
    const isFull =
      this.#running >= this.#host.limits.maxConcurrentCalls ||
      this.#runningBytes >= this.#host.limits.maxFrameBytes;
    this.#host.setReadPaused(isFull);
  }

  async #serve(
    message: ServedMessage,
    handler: Handler,
    controller: AbortController,
    limits: DecodeLimits,
    reservedBytes: number,
  ): Promise<void> {
    const seq = message.type === MESSAGE_TYPE.notify ? undefined : message.seq;
    const ctype =
      message.type === MESSAGE_TYPE.callCompressed ? message.ctype : COMPRESSION_TYPE.none;
    let result: unknown;
    let failure: { err: unknown } | undefined;
    try {
      const args = await this.#argsOf(message, ctype, limits);
      const arg = Array.isArray(args) ? (args[0] ?? null) : args;
      result = await handler(arg, {
        signal: controller.signal,
        session: this.#host.session,
        method: message.method,
        seq,
        tags: message.tags,
      });
    } catch (err) {
      failure = { err };
    }
    this.#controllers.delete(controller);
    if (seq !== undefined && this.#bySeq.get(seq) === controller) this.#bySeq.delete(seq);
    try {
      // Go answers nothing after a cancel, and a closed session can send nothing.
      if (controller.signal.aborted) return;
      if (seq === undefined) {
        if (failure !== undefined) this.#logFailure(failure.err, message.method, undefined);
      } else if (failure !== undefined) {
        this.answerError(seq, failure.err, message.method);
      } else {
        await this.#answer(seq, result, ctype, message.method);
      }
    } catch (err) {
      this.#logFailure(err, message.method, seq);
    } finally {
      this.#running--;
      this.#runningBytes -= reservedBytes;
      this.#updateReadPause();
    }
  }

  async #answer(seq: number, result: unknown, ctype: number, method: string): Promise<void> {
    let payload: Uint8Array;
    try {
      // The result of a compressed call is compressed with the call's ctype; the error is not.
      const value =
        ctype === COMPRESSION_TYPE.gzip
          ? await gzip(encodeCanonical(result ?? null))
          : (result ?? null);
      payload = encodeMessage({ type: MESSAGE_TYPE.response, seq, error: null, result: value });
    } catch (err) {
      this.answerError(
        seq,
        gregorError('GREGOR_ERR_INTERNAL', `cannot encode the result of ${method}`, { cause: err }),
        method,
      );
      return;
    }
    if (payload.byteLength > this.#host.limits.maxFrameBytes) {
      this.answerError(
        seq,
        gregorError(
          'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
          `the result of ${method} exceeds maxFrameBytes`,
        ),
        method,
      );
      return;
    }
    this.#host.send(payload);
  }

  /**
   * The decoded arguments of `message`, decompressed first for a compressed call. Arguments that
   * cannot be decoded within the limits are refused: the call is answered with the error, the
   * session stays open, and the host hears of it.
   */
  async #argsOf(message: ServedMessage, ctype: number, limits: DecodeLimits): Promise<unknown> {
    try {
      const args = decodeArgsOf(message);
      if (ctype === COMPRESSION_TYPE.none) return args;
      return decodeDecompressed(await this.#decompress(args, ctype, limits), limits);
    } catch (err) {
      if (isGregorError(err)) this.#host.onRefused(err);
      throw err;
    }
  }

  /** The plain msgpack of compressed arguments, at most a frame's worth (zip bombs stop there). */
  async #decompress(args: unknown, ctype: number, limits: DecodeLimits): Promise<Uint8Array> {
    if (ctype !== COMPRESSION_TYPE.gzip) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', `unsupported compression type ${ctype}`);
    }
    if (!(args instanceof Uint8Array)) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'compressed args are not bytes');
    }
    // Go leaves the argument zero when the compressed bytes are empty.
    if (args.byteLength === 0) return args;
    return gunzip(args, limits.maxBytesLength);
  }

  #logFailure(err: unknown, method: string, seq: number | undefined): void {
    const fields = { session: this.#host.session.id, method, seq };
    if (isGregorError(err) && !hasPrivateDetail(err)) {
      this.#host.logger.debug({ ...fields, code: err.code, err: err.message }, 'rpc call failed');
    } else {
      // Only a safe description went on the wire (status.ts); the details stay in the log.
      this.#host.logger.error({ ...fields, err }, 'rpc call failed unexpectedly');
    }
  }
}
