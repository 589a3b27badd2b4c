/**
 * Session tokens signed with a shared secret: gregord's standalone authentication, needing no
 * authd (gregor.1 asks only that a token resolve to an AuthResult).
 *
 * Format (ASCII, dot-separated, all parts URL-safe):
 *
 *     g2.<uid hex>.<sid>.<issued ms>.<expiry ms>.<username base64url>.<HMAC-SHA256 base64url>
 *
 * The MAC covers everything before the last dot. The uid is lowercase hex of 1 to 64 bytes, the
 * sid is 1 to 64 characters of `[A-Za-z0-9_-]` (it names the session for revocation), the
 * times are decimal counts of milliseconds since the epoch, and the username may be empty. The
 * issue time lets "every session of this user issued before now" be revoked; a token lives at most
 * MAX_TOKEN_TTL_MS, which bounds how long such a revocation must be remembered.
 *
 * Tokens of the first format, `g1.<uid hex>.<sid>.<expiry ms>.<username>.<mac>` (no issue time),
 * are still accepted; a revocation of their user refuses them whenever they were issued.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { gregorError } from 'gregor-client/errors';
import type { AuthResult, SessionToken, UID } from 'gregor-client/protocol';
import { fromHex, toHex } from 'gregor-client/protocol';

/** The version tag every minted token starts with. */
export const SIGNED_TOKEN_PREFIX = 'g2';
/** The version tag of tokens minted before issue times were carried; still accepted. */
export const LEGACY_SIGNED_TOKEN_PREFIX = 'g1';
/** @default 24 h: the lifetime of a minted token when none is given. */
export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** The longest lifetime a minted token may have: 366 days. */
export const MAX_TOKEN_TTL_MS = 366 * 24 * 60 * 60 * 1000;
/** The shortest secret accepted, in bytes (HMAC-SHA256 wants at least 16 bytes of key material). */
export const MIN_TOKEN_SECRET_BYTES = 16;

const SID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const UID_HEX_PATTERN = /^(?:[0-9a-f]{2}){1,64}$/;

/** What a minted token vouches for. */
export interface TokenClaims {
  /** The user: bytes, or their hex. */
  uid: UID | Uint8Array | string;
  /** Session ID, `[A-Za-z0-9_-]{1,64}`; random when absent. */
  sid?: string;
  /** Lifetime in ms from now. @default 24 h */
  ttlMs?: number;
  /** Username reported in the AuthResult. @default '' */
  username?: string;
}

/** A shared secret: its UTF-8 text or raw bytes. */
export type TokenSecret = string | Uint8Array;

function secretBytes(secret: TokenSecret): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_TOKEN_SECRET_BYTES) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `the token secret must be at least ${MIN_TOKEN_SECRET_BYTES} bytes long`,
    );
  }
  return bytes;
}

function mac(payload: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest();
}

function invalid(message: string): Error {
  return gregorError('GREGOR_ERR_INPUT_INVALID', message);
}

/** A fresh random session ID (96 bits, base64url). */
export function randomSessionID(): string {
  return randomBytes(12).toString('base64url');
}

/** A fresh random secret: 32 bytes as 64 hex characters. */
export function generateTokenSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Mint a token for `claims`, signed with `secret`. Throws GREGOR_ERR_INPUT_INVALID naming the bad
 * claim, or GREGOR_ERR_CONFIG_INVALID for a secret shorter than 16 bytes.
 * @param nowMs the minting time, ms since the epoch. @default Date.now()
 */
export function mintToken(claims: TokenClaims, secret: TokenSecret, nowMs = Date.now()): string {
  const key = secretBytes(secret);
  const uidHex = typeof claims.uid === 'string' ? claims.uid.toLowerCase() : toHex(claims.uid);
  if (!UID_HEX_PATTERN.test(uidHex)) throw invalid('uid must be 1 to 64 bytes of hex');
  const sid = claims.sid ?? randomSessionID();
  if (!SID_PATTERN.test(sid)) throw invalid('sid must be 1 to 64 characters of [A-Za-z0-9_-]');
  const ttlMs = claims.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw invalid(`ttlMs must be a positive integer up to ${MAX_TOKEN_TTL_MS} (366 days)`);
  }
  const user = Buffer.from(claims.username ?? '', 'utf8').toString('base64url');
  const times = [String(nowMs), String(nowMs + ttlMs)];
  const payload = [SIGNED_TOKEN_PREFIX, uidHex, sid, ...times, user].join('.');
  return `${payload}.${mac(payload, key).toString('base64url')}`;
}

/** A verified token's claims. */
export interface VerifiedToken {
  readonly result: AuthResult;
  /** When the token stops being valid, ms since the epoch. */
  readonly expiresAtMs: number;
  /** When it was minted, ms since the epoch; undefined for a token of the first format (g1). */
  readonly issuedAtMs: number | undefined;
}

const TIME_PATTERN = /^\d{1,16}$/;

/** The fields of a token between its prefix and its MAC, or undefined when malformed. */
function fieldsOf(parts: readonly string[]) {
  if (parts[0] === SIGNED_TOKEN_PREFIX && parts.length === 7) {
    const [, uidHex = '', sid = '', issued = '', expiry = '', user = ''] = parts;
    return { uidHex, sid, issued, expiry, user };
  }
  if (parts[0] === LEGACY_SIGNED_TOKEN_PREFIX && parts.length === 6) {
    const [, uidHex = '', sid = '', expiry = '', user = ''] = parts;
    return { uidHex, sid, issued: undefined, expiry, user };
  }
  return undefined;
}

function refused(reason: string): Error {
  return gregorError('GREGOR_ERR_AUTH_FAILED', `authentication failed: ${reason}`);
}

/**
 * Check `token`'s format, signature and expiry against `secret` at `nowMs`. Rejects with
 * GREGOR_ERR_AUTH_BAD_SESSION for a blank token and GREGOR_ERR_AUTH_FAILED otherwise.
 * The MAC comparison is constant-time.
 */
export function verifyToken(
  token: SessionToken,
  secret: TokenSecret,
  nowMs: number,
): VerifiedToken {
  if (token === '') throw gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
  const key = secretBytes(secret);
  const cut = token.lastIndexOf('.');
  const fields = fieldsOf(token.split('.'));
  if (fields === undefined) throw refused('malformed token');
  // Compare the base64url text, not decoded bytes: base64url decoding is lenient, and a token
  // must have exactly one valid spelling (the session cache is keyed by the token string).
  const given = Buffer.from(token.slice(cut + 1), 'utf8');
  const expected = Buffer.from(mac(token.slice(0, cut), key).toString('base64url'), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refused('bad signature');
  }
  // The signature holds, so the fields below were written by mintToken; still check them, since
  // a leaked secret in an older format must not crash the server.
  const { uidHex, sid, issued, expiry, user } = fields;
  const expiresAtMs = Number(expiry);
  const issuedAtMs = issued === undefined ? undefined : Number(issued);
  if (
    !UID_HEX_PATTERN.test(uidHex) ||
    !SID_PATTERN.test(sid) ||
    !TIME_PATTERN.test(expiry) ||
    (issued !== undefined && !TIME_PATTERN.test(issued))
  ) {
    throw refused('malformed token');
  }
  if (expiresAtMs <= nowMs) throw refused('token expired');
  if (issuedAtMs !== undefined && expiresAtMs - issuedAtMs > MAX_TOKEN_TTL_MS) {
    throw refused('token lifetime too long');
  }
  const result: AuthResult = {
    uid: fromHex(uidHex) as UID,
    username: Buffer.from(user, 'base64url').toString('utf8'),
    sid,
    isAdmin: false,
  };
  return { result, expiresAtMs, issuedAtMs };
}
