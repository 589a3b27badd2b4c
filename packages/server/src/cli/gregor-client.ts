/**
 * The `gregor` command's connection to a gregord: one framed msgpack-rpc session over TCP, TLS or
 * WebSocket, calls by method key from the one method table, closed when done.
 *
 * The session answers gregord's broadcasts (`gregor.1.outgoing.broadcastMessage`) as a Keybase
 * client does, and closes only once every broadcast it received is answered: gregord sends each
 * consumed message to all of the user's connections, the one that wrote it included, and counts
 * a broadcast left unanswered as a failed delivery (`gregor_deliveries_total`).
 */
import { readFileSync } from 'node:fs';
import type {
  Message,
  MethodArg,
  MethodKey,
  MethodResult,
  MethodSpec,
} from 'gregor-client/protocol';
import { METHODS } from 'gregor-client/protocol';
import {
  connectNodeWebSocket,
  connectTcp,
  type GregorAddress,
  HandlerRegistry,
  type RpcSession,
} from 'gregor-client/rpc';

import { bodyText } from './gregor-events.js';

/** Where and how to connect. */
export interface ClientTarget {
  readonly address: GregorAddress;
  /** A CA to trust over TLS (e.g. a self-signed gregord certificate), besides the system's. */
  readonly caFile: string | undefined;
  /** Connect and call timeout, ms. */
  readonly timeoutMs: number;
}

/** Open one session to `target`, serving `handlers`; `signal` gives up the attempt. */
export function openSession(
  target: ClientTarget,
  handlers: HandlerRegistry,
  signal?: AbortSignal,
): Promise<RpcSession> {
  const ca = target.caFile === undefined ? undefined : readFileSync(target.caFile, 'utf8');
  const { address, timeoutMs } = target;
  const wait = { timeoutMs, ...(signal === undefined ? {} : { signal }) };
  if (address.kind === 'websocket') {
    return connectNodeWebSocket(address.url, {
      ...wait,
      session: { handlers },
      ...(ca === undefined ? {} : { ws: { ca } }),
    });
  }
  return connectTcp({
    host: address.host,
    port: address.port,
    ...wait,
    session: { handlers },
    ...(address.tls ? { tls: ca === undefined ? {} : { ca } } : {}),
  });
}

/** How often close() looks whether the broadcasts received are answered, ms. */
const ANSWER_POLL_MS = 5;

/** A connected session with typed calls. */
export class GregorAdminClient {
  readonly #session: RpcSession;
  readonly #timeoutMs: number;

  private constructor(session: RpcSession, timeoutMs: number) {
    this.#session = session;
    this.#timeoutMs = timeoutMs;
  }

  /** Connect to `target`; `onBroadcast` sees each message gregord broadcasts to the session. */
  static async connect(
    target: ClientTarget,
    onBroadcast: (m: Message) => void = () => undefined,
  ): Promise<GregorAdminClient> {
    const handlers = new HandlerRegistry();
    const spec = METHODS.broadcastMessage;
    handlers.register(spec.name, (raw) => {
      onBroadcast(spec.decodeArg(raw).m);
      return null;
    });
    return new GregorAdminClient(await openSession(target, handlers), target.timeoutMs);
  }

  /** Call gregor.1 method `key` with `arg`; rejects with the server's error. */
  call<K extends MethodKey>(key: K, arg: MethodArg<K>): Promise<MethodResult<K>> {
    return this.callSpec(METHODS[key] as unknown as MethodSpec<MethodArg<K>, MethodResult<K>>, arg);
  }

  /** Call the method `spec` declares (gregor.1 or gregord's own) with `arg`. */
  async callSpec<A, R>(spec: MethodSpec<A, R>, arg: A): Promise<R> {
    const raw = await this.#session.call(spec.name, spec.encodeArg(arg), {
      timeoutMs: this.#timeoutMs,
    });
    return spec.decodeResult(raw);
  }

  /** Resolves when the session closes (the server went away, or `close()`). */
  closed(): Promise<unknown> {
    return this.#session.closed();
  }

  /**
   * Close the session and wait until it is closed, once the broadcasts being answered are
   * answered (bounded by the call timeout): a broadcast that arrived before the answer of our
   * own call is answered before the socket closes.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    while (this.#session.runningCalls > 0 && !this.#session.isClosed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, ANSWER_POLL_MS));
    }
    this.#session.close();
    await this.#session.closed();
  }
}

/**
 * JSON for records with byte fields: IDs become lowercase hex; a `body` becomes its UTF-8 text
 * when it is valid UTF-8, otherwise `base64:<data>`.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (key, v: unknown) => {
      if (!(v instanceof Uint8Array)) return v;
      return key === 'body' ? bodyText(v) : Buffer.from(v).toString('hex');
    },
    2,
  );
}
