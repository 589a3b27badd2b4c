/**
 * Authentication of gregord sessions (docs/configuration.md, "Authentication"): the Authenticator
 * seam and its three implementations — signed tokens (the standalone default), a remote authd
 * (Keybase-compatible) and a mock for development.
 */

export {
  AuthdConnection,
  type AuthdConnectionOptions,
  DEFAULT_AUTHD_TIMEOUT_MS,
  DEFAULT_SUPER_TOKEN_REFRESH_INTERVAL_MS,
} from './authd-connection.js';
export type { Authenticator, RevokeRequest } from './authenticator.js';
export {
  LocalAuthenticator,
  type LocalAuthenticatorOptions,
  type LocalSession,
  type LocalTokenRules,
} from './local-authenticator.js';
export {
  MOCK_SUPERUSER_TOKEN,
  MockAuthenticator,
  mockToken,
  parseMockToken,
} from './mock-authenticator.js';
export {
  DEFAULT_SESSION_SWEEP_INTERVAL_MS,
  RemoteAuthenticator,
  type RemoteAuthenticatorOptions,
} from './remote-authenticator.js';
export {
  DEFAULT_SESSION_CACHE_MAX_ENTRIES,
  DEFAULT_SESSION_CACHE_TTL_MS,
  SessionCache,
  type SessionCacheOptions,
} from './session-cache.js';
export {
  type ListenerErrorHandler,
  type RevocableSession,
  type Revocation,
  type RevokeListener,
  SessionRevocations,
} from './session-revocations.js';
export {
  DEFAULT_TOKEN_TTL_MS,
  generateTokenSecret,
  LEGACY_SIGNED_TOKEN_PREFIX,
  MAX_TOKEN_TTL_MS,
  MIN_TOKEN_SECRET_BYTES,
  mintToken,
  randomSessionID,
  SIGNED_TOKEN_PREFIX,
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
export {
  type LoadedTokenSecret,
  loadOrCreateTokenSecret,
  readTokenSecretFile,
} from './token-secret-file.js';
