/**
 * The seam between gregord and whatever vouches for session tokens (docs/protocol.md, "Login and
 * authorization").
 * Implementations: signed tokens with a shared secret (standalone default), a remote authd speaking
 * gregor.1.auth / authInternal / authUpdate (Keybase-compatible), and a mock for development.
 */
import type { AuthResult, SessionID, SessionToken, UID } from 'gregor-client/protocol';
import type { WaitOptions } from 'gregor-client/state';
import type { Revocation } from './session-revocations.js';

/** Whose sessions to revoke (GregorServer.revokeSessions, `gregor revoke`). */
export interface RevokeRequest {
  /** Sessions by token: the token is read (its signature checked) for its session and expiry. */
  readonly tokens?: readonly SessionToken[];
  /** Sessions by id; remembered for the longest lifetime a token may have. */
  readonly sessionIDs?: readonly SessionID[];
  /** Every session of these users issued before now. */
  readonly uids?: readonly UID[];
}

/** Vouches for session tokens. */
export interface Authenticator {
  /**
   * Resolve `token` to its session, or reject with an AuthError (GREGOR_ERR_AUTH_FAILED for a
   * refused token, GREGOR_ERR_AUTH_UNAVAILABLE when the authority cannot be reached).
   * Called for the login and again before later calls, so it should cache.
   */
  authenticate(token: SessionToken, opts?: WaitOptions): Promise<AuthResult>;
  /**
   * When the session of `token`, accepted now, must be checked again even if its connection makes
   * no call (ms since the epoch): the token's expiry, or when a cached answer of the authority runs
   * out. Undefined: no such time. The server closes a connection whose check then fails.
   */
  validUntil?(token: SessionToken): number | undefined;
  /**
   * The revocations `request` stands for, now. Throws GREGOR_ERR_AUTH_FAILED for a token this
   * authenticator cannot read. Absent when sessions are revoked by the authority itself (authd).
   */
  revocationsFor?(request: RevokeRequest): Revocation[];
  /**
   * Refuse the sessions `revocations` name from now on (until each one's end). No onRevoke
   * listener is told: the caller closes the affected connections.
   */
  applyRevocations?(revocations: readonly Revocation[]): void;
  /** Subscribe to revocations: the listener gets the revoked session IDs. Returns the unsubscribe. */
  onRevoke(listener: (sessionIDs: readonly SessionID[]) => void): () => void;
  /** A token whose session is the superuser, for sibling and internal calls; undefined if unsupported. */
  superuserToken?(opts?: WaitOptions): Promise<SessionToken>;
  /** Release connections and timers; idempotent. */
  close(): Promise<void>;
}
