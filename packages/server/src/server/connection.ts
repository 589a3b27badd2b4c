/**
 * Connection: one client socket, its RPC session (both directions) and its auth state
 * (docs/protocol.md, "Login and authorization"). The dispatcher serves the client's calls and finds
 * the Connection of a session with `connectionOf`; the Hub sees it as a HubMember once it has
 * logged in.
 *
 * Authentication runs here, off the Hub's path (docs/architecture.md, "The four rules", rule 2):
 * the Hub only ever gets a connection whose first login succeeded.
 */

import { type GregorError, gregorError, isGregorError } from 'gregor-client/errors';
import {
  type AuthResult,
  bytesEqual,
  type ConnectedDevice,
  METHODS,
  type SessionToken,
  SUPER_UID,
  toHex,
  type UID,
} from 'gregor-client/protocol';
import type { RpcSession } from 'gregor-client/rpc';
import type { Clock } from 'gregor-client/state';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/index.js';
import { type ConnectionLimits, REFUSED_BY } from './connection-limits.js';
import type { Hub } from './hub.js';
import type { HubMember } from './hub-member.js';
import { resultLabel, type ServerMetrics } from './metrics.js';

/** What every connection of a server shares. */
export interface ConnectionServices {
  readonly hub: Hub;
  readonly authenticator: Authenticator;
  /** Counts the logins of each user against its bound. */
  readonly limits: ConnectionLimits;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly authTimeoutMs: number;
  /** Close a connection that has not logged in after this long, ms; 0 never does. */
  readonly loginTimeoutMs: number;
  /** Largest frame read before the login succeeds, bytes. */
  readonly maxLoginFrameBytes: number;
  /** Largest frame read after it, bytes; the superuser's connections read up to the frame limit. */
  readonly maxClientFrameBytes: number;
  readonly broadcastTimeoutMs: number;
  /** Stamps the login time (gregord's authInfo.authTime). */
  readonly clock: Clock;
  /** Told once the connection has closed and left the Hub. */
  onClosed(conn: Connection): void;
}

const sessions = new WeakMap<RpcSession, Connection>();
/** The longest delay a Node timer takes (~24.8 days); a later check is re-armed when this one fires. */
const MAX_TIMER_MS = 0x7fff_ffff;
/** When a validity check could not reach the authority, how long until the next try, ms. */
const VALIDITY_RETRY_MS = 30_000;
/**
 * The shortest wait before a session that was just accepted is checked again, ms: a validity time
 * already past by the server's clock, although the authenticator (its own clock) still accepts the
 * session, must not turn into a loop of checks.
 */
const MIN_RECHECK_MS = 1000;
const NO_UID = new Uint8Array(0) as UID;
const BROADCAST = METHODS.broadcastMessage.name;

/** The Connection serving `session`; undefined for a session the server does not own. */
export function connectionOf(session: RpcSession): Connection | undefined {
  return sessions.get(session);
}

/** Failures of a broadcast call that mean the connection cannot keep up or is gone. */
const FATAL_DELIVERY_CODES: ReadonlySet<string> = new Set([
  'GREGOR_ERR_TIMEOUT',
  'GREGOR_ERR_CLOSED',
  'GREGOR_ERR_OVERLOADED',
  'GREGOR_ERR_RPC_TOO_MANY_PENDING',
  'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
]);

/** One client connection of gregord. */
export class Connection implements HubMember {
  readonly id: number;
  /** The peer's User-Agent (WebSocket), or '' (TCP). */
  readonly userAgent: string;
  readonly #session: RpcSession;
  readonly #services: ConnectionServices;
  #token: SessionToken = '';
  #auth: AuthResult | undefined;
  #authenticatedAtMs = 0;
  #isHandshakeDone = false;
  #isAttached = false;
  /** Counted among its user's connections (ConnectionLimits.tryLogin) until it closes. */
  #isCountedForUser = false;
  #isClosed = false;
  #hasLeft = false;
  #leftWaiters: (() => void)[] | undefined;
  #loginTimer: NodeJS.Timeout | undefined;
  /** Fires when the session must be checked again unprompted (its token's expiry). */
  #validityTimer: NodeJS.Timeout | undefined;

  constructor(id: number, session: RpcSession, services: ConnectionServices, userAgent = '') {
    this.id = id;
    this.userAgent = userAgent;
    this.#session = session;
    this.#services = services;
    sessions.set(session, this);
    session.setFrameLimit(services.maxLoginFrameBytes);
    session.on('error', (err) => {
      if (err.code.startsWith('GREGOR_ERR_PROTOCOL_')) {
        services.metrics.protocolRefusals.inc({ code: err.code });
      }
    });
    session.on('refused', (err) => services.metrics.protocolRefusals.inc({ code: err.code }));
    session.once('close', (err) => this.#onSessionClose(err));
    services.metrics.connections.inc();
    if (services.loginTimeoutMs > 0) {
      // The instance rides as the timer's argument: no closure per connection (a server holds tens
      // of thousands).
      this.#loginTimer = setTimeout(expireLogin, services.loginTimeoutMs, this).unref();
    }
  }

  /** True once the first login has succeeded. */
  get isLoggedIn(): boolean {
    return this.#auth !== undefined;
  }

  /** The session uid once logged in; empty before. */
  get uid(): UID {
    return this.#auth?.uid ?? NO_UID;
  }

  /** The session's AuthResult, once logged in. */
  get auth(): AuthResult | undefined {
    return this.#auth;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** When the first login succeeded, ms since the epoch (0 before). */
  get authenticatedAtMs(): number {
    return this.#authenticatedAtMs;
  }

  /** Resolves once the connection has closed and left the Hub. */
  closed(): Promise<void> {
    if (this.#hasLeft) return Promise.resolve();
    return new Promise((resolve) => {
      this.#leftWaiters ??= [];
      this.#leftWaiters.push(resolve);
    });
  }

  /** The RPC session (tests and metrics). */
  get session(): RpcSession {
    return this.#session;
  }

  /**
   * `authenticateSessionToken`. A blank token is BAD_SESSION and the connection stays
   * open, waiting. Otherwise the first result decides: a failure closes the connection after the
   * error is sent (step 4); a success attaches it to its user's actor before the answer goes out,
   * so a broadcast consumed after the client saw the answer reaches it. A later login may refresh
   * the token of the same uid; it cannot switch users.
   */
  async login(token: SessionToken, signal: AbortSignal): Promise<AuthResult> {
    if (token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    let result: AuthResult;
    try {
      result = await this.#services.authenticator.authenticate(token, {
        signal,
        timeoutMs: this.#services.authTimeoutMs,
      });
    } catch (err) {
      this.#services.metrics.authFailures.inc({ code: resultLabel(err) });
      if (!this.#isHandshakeDone) {
        this.#isHandshakeDone = true;
        this.closeAfterReply(asAuthError(err));
      }
      throw asAuthError(err);
    }
    if (this.#isHandshakeDone) return this.#refresh(token, result);
    this.#isHandshakeDone = true;
    clearTimeout(this.#loginTimer);
    if (!this.#services.limits.tryLogin(toHex(result.uid))) {
      this.#services.metrics.connectionsRefused.inc({ by: REFUSED_BY.user });
      const refused = gregorError(
        'GREGOR_ERR_CONNECTION_LIMIT',
        `too many connections for user ${toHex(result.uid)}`,
      );
      this.closeAfterReply(refused);
      throw refused;
    }
    this.#isCountedForUser = true;
    this.#session.setFrameLimit(
      bytesEqual(result.uid, SUPER_UID)
        ? Number.POSITIVE_INFINITY
        : this.#services.maxClientFrameBytes,
    );
    this.#token = token;
    this.#auth = result;
    this.#authenticatedAtMs = this.#services.clock.now();
    this.#services.logger.info(
      { conn: this.id, uid: toHex(result.uid), sid: result.sid },
      'authenticated',
    );
    this.#isAttached = true;
    try {
      await this.#services.hub.attach(this);
    } catch (err) {
      this.close(isGregorError(err) ? err : undefined);
      throw err;
    }
    this.#armValidityCheck();
    return result;
  }

  /**
   * checkUIDAuth: re-check the stored token through the authenticator (cached
   * there, so a revoked session fails), then require the session uid to be `target` or the
   * superuser. Resolves with the session.
   */
  async authorize(target: UID, signal?: AbortSignal): Promise<AuthResult> {
    if (this.#token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    let session: AuthResult;
    try {
      session = await this.#services.authenticator.authenticate(this.#token, {
        signal,
        timeoutMs: this.#services.authTimeoutMs,
      });
    } catch (err) {
      this.#services.metrics.authFailures.inc({ code: resultLabel(err) });
      throw asAuthError(err);
    }
    if (!bytesEqual(session.uid, target) && !bytesEqual(session.uid, SUPER_UID)) {
      throw gregorError(
        'GREGOR_ERR_AUTH_MISMATCHED_UID',
        `mismatched UIDs: ${toHex(target)} != ${toHex(session.uid)}`,
      );
    }
    return session;
  }

  /** Send one pre-encoded broadcastMessage; a connection that cannot keep up is closed. */
  deliver(encodedArgs: Uint8Array): void {
    if (this.#isClosed) return;
    this.#session
      .callPreEncoded(BROADCAST, encodedArgs, { timeoutMs: this.#services.broadcastTimeoutMs })
      .then(
        () => this.#services.metrics.deliveries.inc({ result: 'ok' }),
        (err: unknown) => this.#onDeliveryFailed(err),
      );
  }

  describe(): ConnectedDevice {
    return { deviceID: null, deviceType: '', devicePlatform: '', userAgent: this.userAgent };
  }

  /** Close the socket; the Hub is left once the session reports it closed. Idempotent. */
  close(reason?: GregorError): void {
    if (this.#isClosed) return;
    if (reason !== undefined)
      this.#services.logger.info(
        { conn: this.id, code: reason.code, err: reason.message },
        'closing',
      );
    this.#session.close(reason);
  }

  /** Close once the answer of the call being served has been written. */
  closeAfterReply(reason: GregorError): void {
    setImmediate(() => this.close(reason));
  }

  /**
   * Log a failed call with the connection id (every line carries `conn`; no child logger is kept
   * per connection). Expected failures are debug; storage and internal ones are errors.
   */
  logFailure(method: string, err: unknown): void {
    const expected =
      isGregorError(err) && err.name !== 'StorageError' && err.name !== 'InternalError';
    if (expected)
      this.#services.logger.debug(
        { conn: this.id, method, code: err.code, err: err.message },
        'call failed',
      );
    else this.#services.logger.error({ conn: this.id, method, err }, 'call failed');
  }

  /**
   * Re-check the session after a revocation; a refused session is closed now. Resolves
   * true when the connection was closed.
   */
  async recheck(): Promise<boolean> {
    if (this.#token === '' || this.#isClosed) return false;
    try {
      await this.authorize(this.uid);
      return false;
    } catch (err) {
      this.#endSession('revoked', asAuthError(err));
      return true;
    }
  }

  /**
   * The session's validity time came (its token's expiry, or the end of the authority's cached
   * answer): check it again. Refused: the connection is closed, so it stops receiving the user's
   * broadcasts. The authority unreachable: try again later rather than drop every connection
   * during an outage. Accepted: wait for the next validity time.
   */
  async checkValidity(): Promise<void> {
    if (this.#token === '' || this.#isClosed) return;
    try {
      await this.#services.authenticator.authenticate(this.#token, {
        timeoutMs: this.#services.authTimeoutMs,
      });
    } catch (err) {
      if (this.#isClosed) return;
      if (
        isGregorError(err, 'GREGOR_ERR_AUTH_UNAVAILABLE') ||
        isGregorError(err, 'GREGOR_ERR_TIMEOUT')
      ) {
        this.#validityTimer = setTimeout(checkValidity, VALIDITY_RETRY_MS, this).unref();
        return;
      }
      this.#endSession('expired', asAuthError(err));
      return;
    }
    this.#armValidityCheck(MIN_RECHECK_MS);
  }

  #armValidityCheck(minDelayMs = 0): void {
    clearTimeout(this.#validityTimer);
    const untilMs = this.#services.authenticator.validUntil?.(this.#token);
    if (untilMs === undefined || this.#isClosed) return;
    const delayMs = Math.min(
      Math.max(minDelayMs, untilMs - this.#services.clock.now()),
      MAX_TIMER_MS,
    );
    // The instance rides as the timer's argument, like the login timer.
    this.#validityTimer = setTimeout(checkValidity, delayMs, this).unref();
  }

  #endSession(reason: 'expired' | 'revoked', err: GregorError): void {
    if (this.#isClosed) return;
    this.#services.metrics.sessionsEnded.inc({ reason });
    this.#services.logger.info(
      { conn: this.id, uid: toHex(this.uid), sid: this.#auth?.sid, reason, err: err.message },
      `session ${reason}: closing the connection`,
    );
    this.close(err);
  }

  #refresh(token: SessionToken, result: AuthResult): AuthResult {
    if (this.#auth !== undefined && !bytesEqual(this.#auth.uid, result.uid)) {
      throw gregorError(
        'GREGOR_ERR_AUTH_MISMATCHED_UID',
        `mismatched UIDs: ${toHex(result.uid)} != ${toHex(this.#auth.uid)}`,
      );
    }
    this.#token = token;
    this.#auth = result;
    this.#armValidityCheck();
    return result;
  }

  #onDeliveryFailed(err: unknown): void {
    const code = resultLabel(err);
    this.#services.metrics.deliveries.inc({ result: code });
    // The client answering with an error (e.g. "ignored repeat message") is normal; only a
    // connection that is gone or cannot keep up is removed.
    if (!FATAL_DELIVERY_CODES.has(code) || this.#isClosed) return;
    this.close(isGregorError(err) ? err : undefined);
  }

  /** The login deadline passed: a connection that never logged in holds a socket for nothing. */
  expireLogin(): void {
    if (this.#isHandshakeDone || this.#isClosed) return;
    this.#services.metrics.authFailures.inc({ code: 'GREGOR_ERR_TIMEOUT' });
    this.close(gregorError('GREGOR_ERR_TIMEOUT', 'no login before the login timeout'));
  }

  #onSessionClose(err: GregorError | undefined): void {
    this.#isClosed = true;
    clearTimeout(this.#loginTimer);
    clearTimeout(this.#validityTimer);
    this.#services.metrics.connections.dec();
    if (this.#isCountedForUser) this.#services.limits.loggedOut(toHex(this.uid));
    if (err?.code === 'GREGOR_ERR_PROTOCOL_FRAME_TIMEOUT') {
      this.#services.metrics.frameReadTimeouts.inc();
    }
    // A full write buffer (the session closes itself) or a broadcast timeout (closed above).
    if (err?.code === 'GREGOR_ERR_OVERLOADED' || err?.code === 'GREGOR_ERR_TIMEOUT') {
      this.#services.metrics.slowConnectionsClosed.inc();
    }
    this.#services.logger.debug({ conn: this.id, code: err?.code }, 'connection closed');
    const left = this.#isAttached ? this.#services.hub.detach(this) : Promise.resolve();
    void left.then(() => {
      this.#hasLeft = true;
      this.#services.onClosed(this);
      for (const resolve of this.#leftWaiters ?? []) resolve();
      this.#leftWaiters = undefined;
    });
  }
}

function expireLogin(conn: Connection): void {
  conn.expireLogin();
}

function checkValidity(conn: Connection): void {
  void conn.checkValidity();
}

function asAuthError(err: unknown): GregorError {
  if (isGregorError(err)) return err;
  return gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', undefined, { cause: err });
}
