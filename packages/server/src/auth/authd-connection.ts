/**
 * gregord's connection to authd, as Keybase's gregord's authdHandler: it dials
 * `fmprpc[+tls]://host:port`, reconnects with backoff when the connection fails or drops, serves
 * `gregor.1.authUpdate.revokeSessionIDs` on it (authd pushes revocations), and on each
 * connect fetches the superuser token with `createGregorSuperUserSessionToken`, refreshing it every
 * `superTokenRefreshIntervalMs`. A blank super token is an error: the connection is dropped and
 * dialled again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { gregorError } from 'gregor-client/errors';
import type {
  MethodArg,
  MethodKey,
  MethodResult,
  SessionID,
  SessionToken,
} from 'gregor-client/protocol';
import { METHODS } from 'gregor-client/protocol';
import type { RpcLimitsInput, RpcLogger, RpcSession } from 'gregor-client/rpc';
import {
  connectTcp,
  HandlerRegistry,
  parseReconnectPolicy,
  type ReconnectPolicy,
  reconnectDelayMs,
  SERVER_LINK_RECONNECT_DELAYS,
  silentLogger,
} from 'gregor-client/rpc';
import type { WaitOptions } from 'gregor-client/state';
import { TokenWaiters } from './token-waiters.js';

/** @default 1 h, the original `-super-token-refresh-interval`. */
export const DEFAULT_SUPER_TOKEN_REFRESH_INTERVAL_MS = 60 * 60 * 1000;
/** @default 10 s: one connect attempt or one call to authd. */
export const DEFAULT_AUTHD_TIMEOUT_MS = 10_000;

/** Options of an AuthdConnection. */
export interface AuthdConnectionOptions {
  host: string;
  port: number;
  /** Dial with TLS using these options (ca, servername…); absent: plain TCP. */
  tls?: TlsConnectionOptions;
  /** One connect attempt or call, ms. @default 10 s */
  timeoutMs?: number;
  /** @default 1 h */
  superTokenRefreshIntervalMs?: number;
  /** When to redial after a failure or a drop. @default for ever, with SERVER_LINK_RECONNECT_DELAYS */
  reconnect?: ReconnectPolicy;
  /** Frame and call limits of the connection. @default the rpc defaults */
  rpcLimits?: RpcLimitsInput;
  logger?: RpcLogger & { info(obj: object, msg: string): void };
  /** authd revoked these sessions. */
  onRevoke(sessionIDs: readonly SessionID[]): void;
  /** A connection is up and has its super token (the previous one may have missed revocations). */
  onConnect?(): void;
}

/** The reconnecting link to authd. */
export class AuthdConnection {
  readonly #options: AuthdConnectionOptions;
  readonly #timeoutMs: number;
  readonly #reconnect: ReconnectPolicy | undefined;
  readonly #logger: NonNullable<AuthdConnectionOptions['logger']>;
  readonly #stop = new AbortController();
  readonly #handlers = new HandlerRegistry();
  readonly #token = new TokenWaiters();
  #session: RpcSession | undefined;
  #isReady = false;
  #refreshTimer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: AuthdConnectionOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_AUTHD_TIMEOUT_MS;
    this.#reconnect = parseReconnectPolicy(options.reconnect, 'invalid authd option');
    this.#logger = options.logger ?? { ...silentLogger, info: () => undefined };
    const spec = METHODS.revokeSessionIDs;
    this.#handlers.register(spec.name, (arg) => {
      options.onRevoke(spec.decodeArg(arg).sessionIDs);
      return spec.encodeResult(undefined);
    });
  }

  /** Where authd is, for messages. */
  get address(): string {
    return `${this.#options.tls === undefined ? 'fmprpc' : 'fmprpc+tls'}://${this.#options.host}:${this.#options.port}`;
  }

  /** True while a connection is up and has its super token. */
  get isConnected(): boolean {
    return this.#isReady && this.#session?.isClosed === false;
  }

  /** Start dialling (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Call `key` on authd. Rejects at once with GREGOR_ERR_AUTH_UNAVAILABLE when not connected, so a
   * login never hangs on a dead authd; otherwise with the rpc layer's error.
   */
  call<K extends MethodKey>(
    key: K,
    arg: MethodArg<K>,
    opts?: WaitOptions,
  ): Promise<MethodResult<K>> {
    const session = this.#session;
    if (session === undefined || session.isClosed) {
      return Promise.reject(
        gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', `authd at ${this.address} is not connected`),
      );
    }
    const spec = METHODS[key];
    const timeoutMs = opts?.timeoutMs ?? this.#timeoutMs;
    const encodeArg = spec.encodeArg as (a: MethodArg<K>) => unknown;
    return session
      .call(spec.name, encodeArg(arg), {
        timeoutMs,
        ...(opts?.signal ? { signal: opts.signal } : {}),
      })
      .then((raw) => spec.decodeResult(raw) as MethodResult<K>);
  }

  /** The current super token; waits for the first one (bounded by `timeoutMs`). */
  superToken(opts?: WaitOptions): Promise<SessionToken> {
    return this.#token.get(
      opts?.timeoutMs ?? this.#timeoutMs,
      opts?.signal,
      () => `no superuser token from authd at ${this.address} yet`,
    );
  }

  /** Stop dialling, drop the connection and its timers; idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#refreshTimer);
    this.#session?.close();
    this.#token.close();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      let cause: Error = gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', 'authd connection lost');
      try {
        await this.#connectOnce();
        attempt = 0;
        await this.#session?.closed();
        if (!this.#stop.signal.aborted)
          this.#logger.warn({ authd: this.address }, 'authd connection lost');
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        cause = err as Error;
        this.#logger.warn(
          { authd: this.address, err: cause.message, attempt },
          'authd connection failed',
        );
      } finally {
        clearInterval(this.#refreshTimer);
        this.#isReady = false;
        this.#session?.close();
        this.#session = undefined;
      }
      const delayMs = reconnectDelayMs(this.#reconnect, ++attempt, cause, {
        delays: SERVER_LINK_RECONNECT_DELAYS,
      });
      if (delayMs === false) {
        this.#logger.error(
          { authd: this.address },
          'authd reconnect policy gave up; logins fail until restart',
        );
        return;
      }
      await sleep(delayMs, undefined, { signal: this.#stop.signal, ref: false }).catch(
        () => undefined,
      );
    }
  }

  async #connectOnce(): Promise<void> {
    const { host, port, tls, rpcLimits } = this.#options;
    const session = await connectTcp({
      host,
      port,
      ...(tls === undefined ? {} : { tls }),
      timeoutMs: this.#timeoutMs,
      signal: this.#stop.signal,
      session: {
        handlers: this.#handlers,
        logger: this.#logger,
        id: 'authd',
        ...(rpcLimits ? { limits: rpcLimits } : {}),
      },
    });
    this.#session = session;
    // On connect the super token is fetched at once; a failure drops this connection.
    await this.#refreshSuperToken();
    this.#logger.info({ authd: this.address }, 'connected to authd');
    this.#refreshTimer = setInterval(() => {
      this.#refreshSuperToken().catch((err: unknown) => {
        this.#logger.warn(
          { authd: this.address, err: (err as Error).message },
          'super token refresh failed',
        );
      });
    }, this.#options.superTokenRefreshIntervalMs ?? DEFAULT_SUPER_TOKEN_REFRESH_INTERVAL_MS);
    this.#refreshTimer.unref();
    this.#options.onConnect?.();
    this.#isReady = true;
  }

  async #refreshSuperToken(): Promise<void> {
    const token = await this.call(
      'createGregorSuperUserSessionToken',
      {},
      { signal: this.#stop.signal },
    );
    if (token === '')
      throw gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', 'authd returned a blank superuser token');
    this.#token.set(token);
  }
}
