/**
 * Incoming-call handlers by full method name (`gregor.1.incoming.ping`). One registry may serve
 * every session of a server, so a connection costs no handler table of its own (a server holds
 * tens of thousands of them); a handler finds its connection through `ctx.session`.
 */
import { gregorError } from '../errors.js';
import type { RpcSession } from './session.js';

/** What a handler learns about the call it serves. */
export interface HandlerContext {
  /** Aborts when the peer cancels the call (message type 3) or the session closes. */
  readonly signal: AbortSignal;
  /** The session the call arrived on. */
  readonly session: RpcSession;
  /** The full method name. */
  readonly method: string;
  /** The call's seqno; `undefined` for a notify. */
  readonly seq: number | undefined;
  /** The peer's context/log tags, when it sent any. */
  readonly tags: unknown;
}

/**
 * Serves one method. `arg` is the first element of the args array, as decoded (byte values are
 * views of the frame: copy what you keep, as the protocol decoders do). The resolved value is the
 * result (`undefined` is sent as nil); a throw or rejection becomes an error response.
 */
export type Handler = (arg: unknown, ctx: HandlerContext) => unknown;

/**
 * Decides, before a call's arguments are decoded or decompressed, whether the session may call
 * the method at all: a throw refuses the call (answered with that error) having spent nothing on
 * its arguments. A server's auth gate for sessions that have not logged in.
 */
export type Admission = (session: RpcSession, method: string) => void;

/** A handler and the admission check that runs before it. */
export interface RegisteredHandler {
  readonly handler: Handler;
  readonly admit: Admission | undefined;
}

/** Split a full method name at its last dot, as Go does (docs/protocol.md, "Messages"). */
export function splitMethodName(name: string): { protocol: string; method: string } {
  const dot = name.lastIndexOf('.');
  return dot < 0
    ? { protocol: '', method: name }
    : { protocol: name.slice(0, dot), method: name.slice(dot + 1) };
}

/** A table of handlers. */
export class HandlerRegistry {
  readonly #handlers = new Map<string, RegisteredHandler>();
  /** Protocol name → number of its registered methods, to tell "no protocol" from "no method". */
  readonly #protocols = new Map<string, number>();

  /**
   * Serve `name` with `handler`, after `admit` when given. Throws GREGOR_ERR_CONFIG_INVALID when
   * `name` already has one.
   */
  register(name: string, handler: Handler, admit?: Admission): this {
    if (this.#handlers.has(name)) {
      throw gregorError('GREGOR_ERR_CONFIG_INVALID', `a handler for ${name} is already registered`);
    }
    this.#handlers.set(name, { handler, admit });
    const { protocol } = splitMethodName(name);
    this.#protocols.set(protocol, (this.#protocols.get(protocol) ?? 0) + 1);
    return this;
  }

  /** Stop serving `name`. Returns false when it had no handler. */
  unregister(name: string): boolean {
    if (!this.#handlers.delete(name)) return false;
    const { protocol } = splitMethodName(name);
    const left = (this.#protocols.get(protocol) ?? 1) - 1;
    if (left === 0) this.#protocols.delete(protocol);
    else this.#protocols.set(protocol, left);
    return true;
  }

  /** True when `name` has a handler. */
  has(name: string): boolean {
    return this.#handlers.has(name);
  }

  /**
   * The handler of `name` and its admission check. Throws GREGOR_ERR_RPC_UNKNOWN_METHOD with Go's
   * texts: "protocol not found: X" or "method 'm' not found in protocol 'p'".
   */
  lookup(name: string): RegisteredHandler {
    const entry = this.#handlers.get(name);
    if (entry !== undefined) return entry;
    const { protocol, method } = splitMethodName(name);
    const message = this.#protocols.has(protocol)
      ? `method '${method}' not found in protocol '${protocol}'`
      : `protocol not found: ${protocol}`;
    throw gregorError('GREGOR_ERR_RPC_UNKNOWN_METHOD', message);
  }
}
