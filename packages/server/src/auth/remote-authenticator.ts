/**
 * The Keybase-compatible authenticator, the original SessionCacher in front of authd
 * (docs/configuration.md, "Authentication"): a token is looked up in a 10-minute cache, and on a
 * miss checked with `gregor.1.auth.authenticateSessionToken` on authd. authd pushes revocations
 * with `gregor.1.authUpdate.revokeSessionIDs`; they drop the sessions' cache entries, so the next
 * check asks authd again, and the listeners hear about them. While authd is unreachable every miss
 * fails at once with GREGOR_ERR_AUTH_UNAVAILABLE: a login never hangs on a dead authd.
 */
import type { GregorError } from 'gregor-client/errors';
import { ERROR_CODES, gregorError, isGregorError } from 'gregor-client/errors';
import type { AuthResult, SessionToken } from 'gregor-client/protocol';
import type { Clock, WaitOptions } from 'gregor-client/state';
import { systemClock } from 'gregor-client/state';
import type { AuthdConnectionOptions } from './authd-connection.js';
import { AuthdConnection } from './authd-connection.js';
import type { Authenticator } from './authenticator.js';
import type { SessionCacheOptions } from './session-cache.js';
import { SessionCache } from './session-cache.js';
import type { RevokeListener } from './session-revocations.js';
import { SessionRevocations } from './session-revocations.js';
import { raceSignal, throwIfAborted } from './wait-options.js';

/** @default 10 s, the original cache sweep interval. */
export const DEFAULT_SESSION_SWEEP_INTERVAL_MS = 10_000;

/** Options of a RemoteAuthenticator. */
export interface RemoteAuthenticatorOptions
  extends Omit<AuthdConnectionOptions, 'onRevoke' | 'onConnect'>,
    SessionCacheOptions {
  /** Source of "now" for the cache. @default systemClock */
  clock?: Clock;
  /** How often expired cache entries are dropped, ms. @default 10 s */
  sweepIntervalMs?: number;
}

/**
 * What a failed authd call means for the caller: an answer from authd refuses the token
 * (AUTH_FAILED, 202 on the wire); anything else (not connected, timeout, closed link) means authd
 * is unavailable. Aborts stay aborts.
 */
function asAuthError(err: unknown, address: string): GregorError {
  if (isGregorError(err, 'GREGOR_ERR_ABORTED') || isGregorError(err, 'GREGOR_ERR_AUTH_UNAVAILABLE'))
    return err;
  if (
    isGregorError(err) &&
    (err.code === 'GREGOR_ERR_REMOTE' || ERROR_CODES[err.code].kind === 'auth')
  ) {
    return gregorError('GREGOR_ERR_AUTH_FAILED', `authentication failed: ${err.message}`, {
      cause: err,
    });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', `authd at ${address}: ${detail}`, {
    cause: err,
  });
}

/** Checks tokens with a remote authd, through a cache. Starts dialling at construction. */
export class RemoteAuthenticator implements Authenticator {
  readonly #clock: Clock;
  readonly #cache: SessionCache;
  readonly #revocations: SessionRevocations;
  readonly #authd: AuthdConnection;
  readonly #sweepTimer: NodeJS.Timeout;
  /** One authd call per token at a time: concurrent checks of a token share it. */
  readonly #inFlight = new Map<SessionToken, Promise<AuthResult>>();
  /** Counts revocations and reconnects, so a check racing one of them is not cached. */
  #revocationEpoch = 0;
  #isClosed = false;

  constructor(options: RemoteAuthenticatorOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#cache = new SessionCache(options);
    const logger = options.logger;
    this.#revocations = new SessionRevocations((err) =>
      logger?.warn({ err: (err as Error).message }, 'a revoke listener threw'),
    );
    this.#authd = new AuthdConnection({
      ...options,
      onRevoke: (sessionIDs) => {
        // Drop the sessions from the cache; the next check of their tokens asks authd.
        this.#revocationEpoch++;
        this.#cache.dropSessions(sessionIDs);
        this.#revocations.notify(sessionIDs);
      },
      // Revocations pushed while the link was down were lost: trust nothing cached before it.
      onConnect: () => {
        this.#revocationEpoch++;
        this.#cache.clear();
      },
    });
    this.#sweepTimer = setInterval(
      () => this.#cache.sweep(this.#clock.now()),
      options.sweepIntervalMs ?? DEFAULT_SESSION_SWEEP_INTERVAL_MS,
    );
    this.#sweepTimer.unref();
    this.#authd.start();
  }

  /** True while the link to authd is up (for /readyz). */
  get isConnected(): boolean {
    return this.#authd.isConnected;
  }

  /** Tokens cached now. */
  get cachedTokens(): number {
    return this.#cache.size;
  }

  async authenticate(token: SessionToken, opts?: WaitOptions): Promise<AuthResult> {
    if (this.#isClosed) throw gregorError('GREGOR_ERR_CLOSED', 'the authenticator is closed');
    throwIfAborted(opts);
    // A blank token is "unauthed session" and never reaches authd.
    if (token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    const cached = this.#cache.get(token, this.#clock.now());
    if (cached !== undefined) return cached;
    let pending = this.#inFlight.get(token);
    if (pending === undefined) {
      // The shared call is bounded by the authd timeout only; each caller's signal ends its own wait.
      pending = this.#ask(token, opts?.timeoutMs).finally(() => this.#inFlight.delete(token));
      this.#inFlight.set(token, pending);
    }
    return raceSignal(pending, opts?.signal);
  }

  /**
   * When the cached answer for `token` runs out: authd says nothing of a session's end, but may
   * have ended it since, so a connection that makes no call is checked with authd again then.
   */
  validUntil(token: SessionToken): number {
    return this.#cache.expiresAtMs(token) ?? this.#clock.now() + this.#cache.ttlMs;
  }

  onRevoke(listener: RevokeListener): () => void {
    return this.#revocations.onRevoke(listener);
  }

  /** authd's superuser token; waits for the first one, up to the call timeout. */
  superuserToken(opts?: WaitOptions): Promise<SessionToken> {
    return this.#authd.superToken(opts);
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearInterval(this.#sweepTimer);
    await this.#authd.close();
    this.#cache.clear();
    this.#revocations.clear();
  }

  async #ask(token: SessionToken, timeoutMs: number | undefined): Promise<AuthResult> {
    const epoch = this.#revocationEpoch;
    try {
      const arg = { session: token };
      const result = await this.#authd.call(
        'authenticateSessionToken',
        arg,
        timeoutMs === undefined ? {} : { timeoutMs },
      );
      // A revocation that arrived during the call may concern this token: answer, but do not cache.
      if (!this.#isClosed && epoch === this.#revocationEpoch) {
        this.#cache.set(token, result, this.#clock.now());
      }
      return result;
    } catch (err) {
      throw asAuthError(err, this.#authd.address);
    }
  }
}
