/**
 * The seam between gregord and whatever vouches for session tokens (gregor-protocol.md §6.2).
 * Implementations: signed tokens with a shared secret (standalone default), a remote authd speaking
 * gregor.1.auth / authInternal / authUpdate (Keybase-compatible), and a mock for development.
 */
import type { AuthResult, SessionID, SessionToken } from '../../protocol/index.js';
import type { WaitOptions } from '../../state/index.js';

/** Vouches for session tokens. */
export interface Authenticator {
  /**
   * Resolve `token` to its session, or reject with an AuthError (GREGOR_ERR_AUTH_FAILED for a
   * refused token, GREGOR_ERR_AUTH_UNAVAILABLE when the authority cannot be reached).
   * Called for the login and again before later calls (§6.2 step 5), so it should cache.
   */
  authenticate(token: SessionToken, opts?: WaitOptions): Promise<AuthResult>;
  /** Subscribe to revocations: the listener gets the revoked session IDs (§6.6). Returns an unsubscribe function. */
  onRevoke(listener: (sessionIDs: readonly SessionID[]) => void): () => void;
  /** A token whose session is the superuser, for sibling and internal calls; undefined if unsupported. */
  superuserToken?(opts?: WaitOptions): Promise<SessionToken>;
  /** Release connections and timers; idempotent. */
  close(): Promise<void>;
}
