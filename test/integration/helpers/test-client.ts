/**
 * A gregor.1 test client on the real rpc layer (connectTcp / connectNodeWebSocket) and the METHODS
 * codecs: typed calls, and a record of every broadcastMessage the server sends it, answered the
 * way a client does (nil result).
 */
import {
  METHODS,
  type Message,
  type MethodArg,
  type MethodKey,
  type MethodResult,
  type MethodSpec,
} from '../../../packages/client/src/protocol/index.js';
import {
  connectNodeWebSocket,
  connectTcp,
  HandlerRegistry,
  type RpcSession,
} from '../../../packages/client/src/rpc/index.js';

/** How a test client answers broadcasts. */
export interface TestClientOptions {
  /** Answer each broadcast after this many ms (0: at once). */
  answerDelayMs?: number;
}

/** A connected gregor.1 client for tests. */
export class TestClient {
  readonly session: RpcSession;
  /** Every broadcast message received, in arrival order. */
  readonly received: Message[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(session: RpcSession) {
    this.session = session;
  }

  static async tcp(port: number, opts: TestClientOptions = {}): Promise<TestClient> {
    const handlers = new HandlerRegistry();
    const session = await connectTcp({ host: '127.0.0.1', port, session: { handlers } });
    return TestClient.#wrap(session, handlers, opts);
  }

  static async webSocket(url: string, opts: TestClientOptions = {}): Promise<TestClient> {
    const handlers = new HandlerRegistry();
    const session = await connectNodeWebSocket(url, { session: { handlers } });
    return TestClient.#wrap(session, handlers, opts);
  }

  static #wrap(
    session: RpcSession,
    handlers: HandlerRegistry,
    opts: TestClientOptions,
  ): TestClient {
    const client = new TestClient(session);
    const spec = METHODS.broadcastMessage;
    handlers.register(spec.name, async (raw) => {
      client.#record(spec.decodeArg(raw).m);
      if (opts.answerDelayMs) await new Promise((r) => setTimeout(r, opts.answerDelayMs));
      return null;
    });
    return client;
  }

  /** Call a gregor.1 method by its METHODS key, with the table's codecs. */
  async call<K extends MethodKey>(key: K, arg: MethodArg<K>): Promise<MethodResult<K>> {
    const spec = METHODS[key] as unknown as MethodSpec<MethodArg<K>, MethodResult<K>>;
    const raw = await this.session.call(spec.name, spec.encodeArg(arg));
    return spec.decodeResult(raw);
  }

  /** Log in with `token`. */
  login(token: string): ReturnType<TestClient['call']> {
    return this.call('authenticateSessionToken', { session: token });
  }

  /** Resolve once at least `count` broadcasts have arrived (rejects after `timeoutMs`). */
  async waitForBroadcasts(count: number, timeoutMs = 5000): Promise<Message[]> {
    if (this.received.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${this.received.length} of ${count} broadcasts`)),
          timeoutMs,
        );
        this.#waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.received;
  }

  /** Close the connection and wait until it is closed. */
  async close(): Promise<void> {
    this.session.close();
    await this.session.closed();
  }

  #record(m: Message): void {
    this.received.push(m);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.received.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
}
