/**
 * The common part of the authenticators that decide locally, with no authority to ask (signed
 * tokens, the mock): check the token with a pure function, then the revocation list
 * (docs/configuration.md, "When a session ends"), and answer onRevoke and close the same way.
 */
import { gregorError } from 'gregor-client/errors';
import type { AuthResult, SessionID, SessionToken } from 'gregor-client/protocol';
import type { Clock, WaitOptions } from 'gregor-client/state';
import { systemClock } from 'gregor-client/state';
import type { Authenticator, RevokeRequest } from './authenticator.js';
import type { ListenerErrorHandler, Revocation, RevokeListener } from './session-revocations.js';
import { SessionRevocations } from './session-revocations.js';
import { throwIfAborted } from './wait-options.js';

/** Options every local authenticator takes. */
export interface LocalAuthenticatorOptions {
  /** Source of "now" for expiry and revocations. @default systemClock */
  clock?: Clock;
  /** Told when an onRevoke listener throws. @default ignore */
  onListenerError?: ListenerErrorHandler;
}

/** A token read by LocalTokenRules. */
export interface LocalSession {
  readonly result: AuthResult;
  /** When the token stops being valid, ms since the epoch; undefined: never. */
  readonly expiresAtMs: number | undefined;
  /** When it was issued, ms since the epoch; undefined when the token does not say. */
  readonly issuedAtMs: number | undefined;
}

/** How a local authenticator reads tokens. */
export interface LocalTokenRules {
  /** The session of `token` at `nowMs`, or a throw (AuthError) when it is refused. */
  verify(token: SessionToken, nowMs: number): LocalSession;
  /** The longest a token may stay valid, ms: how long revocations without an end are kept. */
  readonly maxTokenLifetimeMs: number;
  /** A superuser token valid at `nowMs`. */
  superuserToken(nowMs: number): SessionToken;
}

/** An Authenticator over LocalTokenRules with an in-memory revocation list. */
export class LocalAuthenticator implements Authenticator {
  #rules: LocalTokenRules;
  #clock: Clock;
  #revocations: SessionRevocations;
  #isClosed = false;

  constructor(rules: LocalTokenRules, options: LocalAuthenticatorOptions = {}) {
    this.#rules = rules;
    this.#clock = options.clock ?? systemClock;
    this.#revocations = new SessionRevocations(options.onListenerError);
  }

  /** Check `token`, then whether its session was revoked. */
  async authenticate(token: SessionToken, opts?: WaitOptions): Promise<AuthResult> {
    this.#assertOpen();
    throwIfAborted(opts);
    // A blank token is "unauthed session" (BAD_SESSION), as in Keybase's gregord.
    if (token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    const nowMs = this.#clock.now();
    const { result, issuedAtMs } = this.#rules.verify(token, nowMs);
    if (
      this.#revocations.isSessionRevoked({ sid: result.sid, uid: result.uid, issuedAtMs }, nowMs)
    ) {
      throw gregorError('GREGOR_ERR_AUTH_FAILED', 'authentication failed: session revoked');
    }
    return result;
  }

  /** The token's expiry; now for a token refused already (checked again at once). */
  validUntil(token: SessionToken): number | undefined {
    const nowMs = this.#clock.now();
    try {
      return this.#rules.verify(token, nowMs).expiresAtMs;
    } catch {
      return nowMs;
    }
  }

  /**
   * A token's session until the token expires; a session id, and a user's sessions issued before
   * now, for the longest token lifetime. Throws GREGOR_ERR_AUTH_FAILED naming an unreadable token
   * (an expired one is still read: revoking it is harmless).
   */
  revocationsFor(request: RevokeRequest): Revocation[] {
    this.#assertOpen();
    const nowMs = this.#clock.now();
    const untilMs = nowMs + this.#rules.maxTokenLifetimeMs;
    const revocations: Revocation[] = [];
    for (const token of request.tokens ?? []) {
      // Read it as of a moment before its expiry could have passed, so expired tokens still read.
      const { result, expiresAtMs } = this.#rules.verify(token, 0);
      revocations.push({ kind: 'session', sid: result.sid, untilMs: expiresAtMs ?? untilMs });
    }
    for (const sid of request.sessionIDs ?? []) revocations.push({ kind: 'session', sid, untilMs });
    for (const uid of request.uids ?? []) {
      revocations.push({ kind: 'user', uid, issuedBeforeMs: nowMs, untilMs });
    }
    return revocations;
  }

  applyRevocations(revocations: readonly Revocation[]): void {
    this.#assertOpen();
    this.#revocations.record(revocations, this.#clock.now());
  }

  /**
   * Revoke sessions: their tokens are refused from now on, and onRevoke listeners are told so the
   * server can drop live connections. `untilMs` (ms since the epoch) bounds how long the
   * entry is kept; pass the tokens' expiry when known. @default forever
   */
  revokeSessionIDs(sessionIDs: readonly SessionID[], untilMs?: number): void {
    this.#assertOpen();
    this.#revocations.revoke(sessionIDs, this.#clock.now(), untilMs);
  }

  /** Revocations remembered now (sessions and users). */
  get revocationCount(): number {
    return this.#revocations.size;
  }

  onRevoke(listener: RevokeListener): () => void {
    return this.#revocations.onRevoke(listener);
  }

  async superuserToken(opts?: WaitOptions): Promise<SessionToken> {
    this.#assertOpen();
    throwIfAborted(opts);
    return this.#rules.superuserToken(this.#clock.now());
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    this.#revocations.clear();
  }

  #assertOpen(): void {
    if (this.#isClosed) throw gregorError('GREGOR_ERR_CLOSED', 'the authenticator is closed');
  }
}
