/**
 * gregord's own methods, beyond gregor.1: operator calls Keybase's gregord did not have. They are
 * declared like the METHODS table (one place; the dispatcher and the `gregor` command derive from
 * it) but kept apart from it, so METHODS stays exactly the gregor.1 protocol. Their names start
 * with `gregord.1.`, never `gregor.1.`, so no gregor.1 peer can mistake one for its own.
 */
import { gregorError } from '../errors.js';
import { decodeUID } from './decode.js';
import { readArray, readInt, readMap, readString } from './fields.js';
import { method } from './methods.js';
import type { SessionID, SessionToken, UID } from './records.js';

/** Most entries of each list one revokeSessions call takes. */
export const MAX_REVOCATIONS_PER_CALL = 1000;

/** Whose sessions `revokeSessions` ends. Every list may be empty, but not all of them. */
export interface RevokeSessionsArg {
  /** Sessions by token (the token's signature is checked; it may have expired). */
  tokens: SessionToken[];
  /** Sessions by session id. */
  sessionIDs: SessionID[];
  /** Every session of these users issued before the call. */
  uids: UID[];
}

/** What `revokeSessions` did on the instance that served it (the others do the same on theirs). */
export interface RevokeSessionsResult {
  /** Connections of revoked sessions this instance closed. */
  closed: number;
}

function boundedList<T>(value: unknown, path: string, read: (v: unknown, p: string) => T): T[] {
  const list = readArray(value ?? [], path, read);
  if (list.length > MAX_REVOCATIONS_PER_CALL) {
    throw gregorError(
      'GREGOR_ERR_INPUT_TOO_LARGE',
      `${path}: at most ${MAX_REVOCATIONS_PER_CALL} entries, got ${list.length}`,
    );
  }
  return list;
}

/** Every gregord-only method, keyed by a short name. */
export const GREGORD_METHODS = {
  /**
   * Revoke sessions on every gregord of the cluster (superuser only): their connections are
   * closed and their tokens refused from then on (gregord with signed tokens or --mock-auth).
   */
  revokeSessions: method<RevokeSessionsArg, RevokeSessionsResult>(
    'gregord.1.admin.revokeSessions',
    'superuser',
    (m) => ({
      tokens: boundedList(m.tokens, 'arg.tokens', readString),
      sessionIDs: boundedList(m.sessionIDs, 'arg.sessionIDs', readString),
      uids: boundedList(m.uids, 'arg.uids', decodeUID),
    }),
    (raw) => ({ closed: readInt(readMap(raw, 'result').closed, 'result.closed') }),
  ),
} as const;

export type GregordMethodKey = keyof typeof GREGORD_METHODS;
