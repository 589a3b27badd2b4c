/**
 * Authentication: who a session is (docs/configuration.md, "Authentication"). The Authenticator seam
 * a GregorServer asks, and the implementations a user configures — signed tokens (the standalone
 * default), a remote authd (Keybase-compatible), local sessions, and a mock for development —
 * with the token helpers to mint and check signed tokens. `internal.ts` adds the parts they share.
 */
export type { Authenticator, RevokeRequest } from './authenticator.js';
export {
  LocalAuthenticator,
  type LocalAuthenticatorOptions,
  type LocalSession,
  type LocalTokenRules,
} from './local-authenticator.js';
export { MOCK_SUPERUSER_TOKEN, MockAuthenticator, mockToken } from './mock-authenticator.js';
export {
  RemoteAuthenticator,
  type RemoteAuthenticatorOptions,
} from './remote-authenticator.js';
export type { Revocation, RevokeListener } from './session-revocations.js';
export {
  DEFAULT_TOKEN_TTL_MS,
  generateTokenSecret,
  MAX_TOKEN_TTL_MS,
  MIN_TOKEN_SECRET_BYTES,
  mintToken,
  type TokenClaims,
  type TokenSecret,
  type VerifiedToken,
  verifyToken,
} from './signed-token.js';
export {
  DEFAULT_SUPER_TOKEN_TTL_MS,
  SignedTokenAuthenticator,
  type SignedTokenAuthenticatorOptions,
} from './signed-token-authenticator.js';
