/**
 * The standalone authenticator: session tokens signed with a shared secret (see signed-token.ts
 * for the format), checked locally, with revocation by session ID (docs/configuration.md, "When a
 * session ends"). Superuser tokens are ordinary tokens whose uid is SUPER_UID.
 */
import type { SessionToken } from 'gregor-client/protocol';
import { SUPER_UID } from 'gregor-client/protocol';
import type { LocalAuthenticatorOptions } from './local-authenticator.js';
import { LocalAuthenticator } from './local-authenticator.js';
import type { TokenSecret } from './signed-token.js';
import { MAX_TOKEN_TTL_MS, mintToken, randomSessionID, verifyToken } from './signed-token.js';

export type { TokenClaims, TokenSecret, VerifiedToken } from './signed-token.js';
export {
  DEFAULT_TOKEN_TTL_MS,
  generateTokenSecret,
  MIN_TOKEN_SECRET_BYTES,
  mintToken,
  verifyToken,
} from './signed-token.js';

/** @default 1 h: lifetime of the superuser token this authenticator mints for internal calls. */
export const DEFAULT_SUPER_TOKEN_TTL_MS = 60 * 60 * 1000;

/** Options of a SignedTokenAuthenticator. */
export interface SignedTokenAuthenticatorOptions extends LocalAuthenticatorOptions {
  /** The shared secret (at least 16 bytes). */
  secret: TokenSecret;
  /** Lifetime of the internal superuser token, in ms. @default 1 h */
  superTokenTtlMs?: number;
}

/**
 * Mints the internal superuser token on first use, and again once half its lifetime has passed,
 * so a caller never holds one about to expire.
 */
class SuperTokenMinter {
  #secret: TokenSecret;
  #ttlMs: number;
  #current: { token: SessionToken; expiresAtMs: number } | undefined;

  constructor(secret: TokenSecret, ttlMs: number) {
    this.#secret = secret;
    this.#ttlMs = ttlMs;
  }

  token(nowMs: number): SessionToken {
    const current = this.#current;
    if (current !== undefined && current.expiresAtMs - nowMs > this.#ttlMs / 2)
      return current.token;
    const claims = { uid: SUPER_UID, sid: `gregord-${randomSessionID()}`, username: 'gregord' };
    const token = mintToken({ ...claims, ttlMs: this.#ttlMs }, this.#secret, nowMs);
    this.#current = { token, expiresAtMs: nowMs + this.#ttlMs };
    return token;
  }
}

/** Verifies signed tokens locally; never does I/O. */
export class SignedTokenAuthenticator extends LocalAuthenticator {
  constructor(options: SignedTokenAuthenticatorOptions) {
    const { secret } = options;
    // Fail at construction, not at the first login, when the secret is too short.
    mintToken({ uid: SUPER_UID, sid: 'probe' }, secret, 0);
    const minter = new SuperTokenMinter(
      secret,
      options.superTokenTtlMs ?? DEFAULT_SUPER_TOKEN_TTL_MS,
    );
    super(
      {
        verify: (token, nowMs) => verifyToken(token, secret, nowMs),
        maxTokenLifetimeMs: MAX_TOKEN_TTL_MS,
        superuserToken: (nowMs) => minter.token(nowMs),
      },
      options,
    );
  }
}
