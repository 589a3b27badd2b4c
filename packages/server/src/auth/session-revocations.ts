/**
 * Revoked sessions and the listeners that hear about them, shared by the
 * authenticators so each one answers `onRevoke` the same way.
 *
 * Two kinds are remembered: a session (its sid), and a user's sessions issued before a time ("log
 * this user out everywhere"). Each is kept until a given time, the latest a token it refuses could
 * still be valid; entries past it are pruned on the next revocation, so memory stays bounded by the
 * revocations that still matter.
 */
import type { SessionID, UID } from 'gregor-client/protocol';
import { toHex } from 'gregor-client/protocol';

/** Receives the session IDs just revoked. */
export type RevokeListener = (sessionIDs: readonly SessionID[]) => void;

/** Called when a revoke listener throws; the throw never reaches the revoker. */
export type ListenerErrorHandler = (err: unknown) => void;

/** One revocation, as the instances of a cluster hand it to each other. */
export type Revocation =
  | {
      readonly kind: 'session';
      readonly sid: SessionID;
      /** Remembered until then (the token's expiry), ms since the epoch. */
      readonly untilMs: number;
    }
  | {
      readonly kind: 'user';
      readonly uid: UID;
      /** Sessions of the uid issued before this time are refused, ms since the epoch. */
      readonly issuedBeforeMs: number;
      /** Remembered until then (when the last such token has expired), ms since the epoch. */
      readonly untilMs: number;
    };

/** What a revocation is checked against. */
export interface RevocableSession {
  readonly sid: SessionID;
  readonly uid: UID;
  /** When its token was issued; undefined when the token does not say (refused by a user revocation). */
  readonly issuedAtMs: number | undefined;
}

interface UserEntry {
  issuedBeforeMs: number;
  untilMs: number;
}

/** Remembers revocations until their end and tells listeners about session revocations. */
export class SessionRevocations {
  #revoked = new Map<SessionID, number>();
  #users = new Map<string, UserEntry>();
  #listeners = new Set<RevokeListener>();
  #onListenerError: ListenerErrorHandler;

  constructor(onListenerError: ListenerErrorHandler = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /**
   * Record `sessionIDs` as revoked until `untilMs` (ms since the epoch; Infinity: for good), prune
   * entries that ran out before `nowMs`, then notify listeners.
   */
  revoke(
    sessionIDs: readonly SessionID[],
    nowMs: number,
    untilMs = Number.POSITIVE_INFINITY,
  ): void {
    this.record(
      sessionIDs.map((sid) => ({ kind: 'session', sid, untilMs })),
      nowMs,
    );
    this.notify(sessionIDs);
  }

  /** Record `revocations` (prune what ran out before `nowMs` first); listeners are not told. */
  record(revocations: readonly Revocation[], nowMs: number): void {
    this.#prune(nowMs);
    for (const r of revocations) {
      if (r.untilMs <= nowMs) continue;
      if (r.kind === 'session') {
        this.#revoked.set(r.sid, Math.max(r.untilMs, this.#revoked.get(r.sid) ?? 0));
        continue;
      }
      const key = toHex(r.uid);
      const known = this.#users.get(key);
      this.#users.set(key, {
        issuedBeforeMs: Math.max(r.issuedBeforeMs, known?.issuedBeforeMs ?? 0),
        untilMs: Math.max(r.untilMs, known?.untilMs ?? 0),
      });
    }
  }

  /** True when `sid` was revoked and the revocation still holds at `nowMs`. */
  isRevoked(sid: SessionID, nowMs: number): boolean {
    const until = this.#revoked.get(sid);
    return until !== undefined && until > nowMs;
  }

  /** True when `session` is refused at `nowMs`: its sid was revoked, or its user's sessions. */
  isSessionRevoked(session: RevocableSession, nowMs: number): boolean {
    if (this.isRevoked(session.sid, nowMs)) return true;
    if (this.#users.size === 0) return false;
    const user = this.#users.get(toHex(session.uid));
    if (user === undefined || user.untilMs <= nowMs) return false;
    return session.issuedAtMs === undefined || session.issuedAtMs < user.issuedBeforeMs;
  }

  /** Number of revocations currently remembered (sessions and users). */
  get size(): number {
    return this.#revoked.size + this.#users.size;
  }

  /** Tell every listener about `sessionIDs` without recording them (the remote authority keeps its own list). */
  notify(sessionIDs: readonly SessionID[]): void {
    if (sessionIDs.length === 0) return;
    const frozen = Object.freeze([...sessionIDs]);
    for (const listener of [...this.#listeners]) {
      try {
        listener(frozen);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }

  /** Subscribe `listener`; returns its unsubscribe function (idempotent). */
  onRevoke(listener: RevokeListener): () => void {
    // A wrapper per subscription, so subscribing the same function twice yields two independent
    // subscriptions and each unsubscribe removes only its own.
    const entry: RevokeListener = (ids) => listener(ids);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Drop every listener and every remembered revocation. */
  clear(): void {
    this.#listeners.clear();
    this.#revoked.clear();
    this.#users.clear();
  }

  #prune(nowMs: number): void {
    for (const [sid, until] of this.#revoked) if (until <= nowMs) this.#revoked.delete(sid);
    for (const [uid, entry] of this.#users) if (entry.untilMs <= nowMs) this.#users.delete(uid);
  }
}
