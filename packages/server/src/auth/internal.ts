/**
 * The auth layer as the other layers and the tests see it: the public surface of `index.ts`, plus
 * the parts the authenticators share (authd connection, session cache, revocation registry, token
 * encoding details). Not part of the package's public API.
 */

export {
  AuthdConnection,
  type AuthdConnectionOptions,
  DEFAULT_AUTHD_TIMEOUT_MS,
  DEFAULT_SUPER_TOKEN_REFRESH_INTERVAL_MS,
} from './authd-connection.js';
export * from './index.js';
export { parseMockToken } from './mock-authenticator.js';
export { DEFAULT_SESSION_SWEEP_INTERVAL_MS } from './remote-authenticator.js';
export {
  DEFAULT_SESSION_CACHE_MAX_ENTRIES,
  DEFAULT_SESSION_CACHE_TTL_MS,
  SessionCache,
  type SessionCacheOptions,
} from './session-cache.js';
export {
  type ListenerErrorHandler,
  type RevocableSession,
  SessionRevocations,
} from './session-revocations.js';
export {
  LEGACY_SIGNED_TOKEN_PREFIX,
  randomSessionID,
  SIGNED_TOKEN_PREFIX,
} from './signed-token.js';
