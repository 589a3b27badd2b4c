/**
 * Revoked session IDs and the listeners that hear about them (gregor-protocol.md §6.6), shared by
 * the authenticators so each one answers `onRevoke` the same way.
 */
import type { SessionID } from '../../protocol/index.js';

/** Receives the session IDs just revoked. */
export type RevokeListener = (sessionIDs: readonly SessionID[]) => void;

/** Called when a revoke listener throws; the throw never reaches the revoker. */
export type ListenerErrorHandler = (err: unknown) => void;

/**
 * Remembers revoked session IDs until a given time and tells listeners about each revocation.
 * Entries whose `untilMs` has passed are pruned on the next revoke, so the set stays bounded by
 * the sessions that could still be presented.
 */
export class SessionRevocations {
  #revoked = new Map<SessionID, number>();
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
    for (const [sid, until] of this.#revoked) if (until <= nowMs) this.#revoked.delete(sid);
    for (const sid of sessionIDs) {
      this.#revoked.set(sid, Math.max(untilMs, this.#revoked.get(sid) ?? 0));
    }
    this.notify(sessionIDs);
  }

  /** True when `sid` was revoked and the revocation still holds at `nowMs`. */
  isRevoked(sid: SessionID, nowMs: number): boolean {
    const until = this.#revoked.get(sid);
    return until !== undefined && until > nowMs;
  }

  /** Number of revocations currently remembered. */
  get size(): number {
    return this.#revoked.size;
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
  }
}
