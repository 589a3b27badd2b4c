/**
 * A test-only Authenticator: an allow-list of tokens. `allow` adds one, `refuse` drops one
 * silently (the next re-check fails, no revocation event), `revoke` drops a session's tokens and
 * tells the onRevoke listeners. The token "superuser" is the superuser.
 * `hold()` makes authenticate calls (of one token, or all) wait until released, to test that auth
 * runs off the Hub.
 */
import { gregorError } from '../../../packages/client/src/errors.js';
import {
  type AuthResult,
  type SessionID,
  type SessionToken,
  SUPER_UID,
  toHex,
  type UID,
} from '../../../packages/client/src/protocol/index.js';
import type { Authenticator } from '../../../packages/server/src/auth/index.js';

export const SUPERUSER_TOKEN = 'superuser';

/** An allow-list authenticator for tests. */
export class TestAuthenticator implements Authenticator {
  readonly #tokens = new Map<SessionToken, AuthResult>();
  readonly #listeners = new Set<(sids: readonly SessionID[]) => void>();
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  #heldToken: SessionToken | undefined;
  /** authenticate() calls so far. */
  calls = 0;

  constructor() {
    this.#tokens.set(SUPERUSER_TOKEN, { uid: SUPER_UID, username: 'su', sid: 'su', isAdmin: true });
  }

  /** Allow a token for `uid` (default: its hex) with session id `sid` (default: the token). */
  allow(uid: UID, sid?: SessionID, token: SessionToken = toHex(uid)): SessionToken {
    this.#tokens.set(token, {
      uid,
      username: `user-${toHex(uid).slice(0, 6)}`,
      sid: sid ?? token,
      isAdmin: false,
    });
    return token;
  }

  /** Stop accepting `token`, without telling anyone. */
  refuse(token: SessionToken): void {
    this.#tokens.delete(token);
  }

  /** Revoke sessions: their tokens are refused and the listeners are told. */
  revoke(sids: readonly SessionID[]): void {
    for (const [token, result] of this.#tokens)
      if (sids.includes(result.sid)) this.#tokens.delete(token);
    for (const listener of this.#listeners) listener(sids);
  }

  /** Make authenticate calls (of `token` only, when given) wait until `release()` is called. */
  hold(token?: SessionToken): void {
    this.#heldToken = token;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
    this.#held = undefined;
  }

  async authenticate(token: SessionToken): Promise<AuthResult> {
    this.calls++;
    if (this.#held !== undefined && (this.#heldToken === undefined || this.#heldToken === token)) {
      await this.#held;
    }
    if (token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    const result = this.#tokens.get(token);
    if (result === undefined)
      throw gregorError('GREGOR_ERR_AUTH_FAILED', 'authentication failed: unknown token');
    return result;
  }

  onRevoke(listener: (sids: readonly SessionID[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
