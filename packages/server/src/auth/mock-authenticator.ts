/**
 * The development authenticator behind `--mock-auth` (the original gregord's `-mock-auth`):
 * the token is the uid in hex, optionally followed by `:` and a session ID; the token `superuser`
 * is the superuser. Anyone who can reach the port can be anyone, which is why the
 * configuration refuses `--mock-auth` on a non-loopback address.
 */
import { gregorError } from 'gregor-client/errors';
import type { AuthResult, SessionID, SessionToken, UID } from 'gregor-client/protocol';
import { fromHex, SUPER_UID, toHex } from 'gregor-client/protocol';
import type { LocalAuthenticatorOptions } from './local-authenticator.js';
import { LocalAuthenticator } from './local-authenticator.js';
import { MAX_TOKEN_TTL_MS } from './signed-token.js';

/** The mock token that logs in as the superuser. */
export const MOCK_SUPERUSER_TOKEN = 'superuser';

const MOCK_TOKEN_PATTERN = /^((?:[0-9a-fA-F]{2}){1,64})(?::([^:]{1,64}))?$/;

/** The mock token for `uid` (and session `sid`, when given). */
export function mockToken(uid: Uint8Array, sid?: SessionID): SessionToken {
  return sid === undefined ? toHex(uid) : `${toHex(uid)}:${sid}`;
}

/**
 * The session a mock token stands for. Without `:sid` the session ID is the uid hex.
 * Throws GREGOR_ERR_AUTH_FAILED for anything else.
 */
export function parseMockToken(token: SessionToken): AuthResult {
  if (token === MOCK_SUPERUSER_TOKEN) {
    return { uid: SUPER_UID, username: 'superuser', sid: MOCK_SUPERUSER_TOKEN, isAdmin: false };
  }
  const match = MOCK_TOKEN_PATTERN.exec(token);
  if (match === null) {
    throw gregorError(
      'GREGOR_ERR_AUTH_FAILED',
      'authentication failed: a mock token is <uid hex>[:<session id>] or "superuser"',
    );
  }
  const uidHex = (match[1] as string).toLowerCase();
  return {
    uid: fromHex(uidHex) as UID,
    username: `mock-${uidHex.slice(0, 8)}`,
    sid: match[2] ?? uidHex,
    isAdmin: false,
  };
}

/** Accepts `<uid hex>[:<sid>]` and `superuser`; refuses anything else and revoked sessions. */
export class MockAuthenticator extends LocalAuthenticator {
  constructor(options: LocalAuthenticatorOptions = {}) {
    super(
      {
        // A mock token neither expires nor says when it was issued.
        verify: (token) => ({
          result: parseMockToken(token),
          expiresAtMs: undefined,
          issuedAtMs: undefined,
        }),
        maxTokenLifetimeMs: MAX_TOKEN_TTL_MS,
        superuserToken: () => MOCK_SUPERUSER_TOKEN,
      },
      options,
    );
  }
}
