/**
 * gregord's SessionCacher: token → AuthResult and sid → tokens, each entry kept for a fixed time,
 * so the check before every call does not ask authd each time. Revoking a session drops its
 * tokens. Bounded, so a flood of tokens cannot grow it: past `maxEntries` the oldest entry goes
 * first.
 */
import type { AuthResult, SessionID, SessionToken } from 'gregor-client/protocol';

/** @default 10 min, as the original SessionCacher. */
export const DEFAULT_SESSION_CACHE_TTL_MS = 10 * 60 * 1000;
/** @default 100 000 cached tokens. */
export const DEFAULT_SESSION_CACHE_MAX_ENTRIES = 100_000;

interface Entry {
  readonly result: AuthResult;
  readonly expiresAtMs: number;
}

/** Options of a SessionCache. */
export interface SessionCacheOptions {
  /** How long an entry is trusted, ms. @default 10 min */
  ttlMs?: number;
  /** Most tokens kept at once. @default 100 000 */
  maxEntries?: number;
}

/** Time-bounded cache of authenticated tokens, indexed by session ID too. */
export class SessionCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  /** Insertion order is age order: the first key is the oldest. */
  readonly #byToken = new Map<SessionToken, Entry>();
  readonly #tokensBySid = new Map<SessionID, Set<SessionToken>>();

  constructor(options: SessionCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_SESSION_CACHE_TTL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_SESSION_CACHE_MAX_ENTRIES;
  }

  /** Tokens cached now (expired ones count until swept). */
  get size(): number {
    return this.#byToken.size;
  }

  /** The cached session of `token`, unless missing or expired at `nowMs`. */
  get(token: SessionToken, nowMs: number): AuthResult | undefined {
    const entry = this.#byToken.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > nowMs) return entry.result;
    this.#delete(token, entry.result.sid);
    return undefined;
  }

  /** When the cached entry of `token` runs out, ms since the epoch; undefined when not cached. */
  expiresAtMs(token: SessionToken): number | undefined {
    return this.#byToken.get(token)?.expiresAtMs;
  }

  /** How long an entry is trusted, ms. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Remember that `token` is `result`'s session, from `nowMs` for the cache's TTL. */
  set(token: SessionToken, result: AuthResult, nowMs: number): void {
    const previous = this.#byToken.get(token);
    if (previous !== undefined) this.#delete(token, previous.result.sid);
    while (this.#byToken.size >= this.#maxEntries) {
      const [oldToken, oldEntry] = this.#byToken.entries().next().value as [SessionToken, Entry];
      this.#delete(oldToken, oldEntry.result.sid);
    }
    this.#byToken.set(token, { result, expiresAtMs: nowMs + this.#ttlMs });
    let tokens = this.#tokensBySid.get(result.sid);
    if (tokens === undefined) {
      tokens = new Set();
      this.#tokensBySid.set(result.sid, tokens);
    }
    tokens.add(token);
  }

  /** Forget every token of `sessionIDs`; returns how many tokens were dropped. */
  dropSessions(sessionIDs: readonly SessionID[]): number {
    let dropped = 0;
    for (const sid of sessionIDs) {
      for (const token of this.#tokensBySid.get(sid) ?? []) {
        this.#byToken.delete(token);
        dropped++;
      }
      this.#tokensBySid.delete(sid);
    }
    return dropped;
  }

  /** Drop the entries expired at `nowMs` (the original swept every 10 s). */
  sweep(nowMs: number): void {
    for (const [token, entry] of this.#byToken) {
      if (entry.expiresAtMs <= nowMs) this.#delete(token, entry.result.sid);
    }
  }

  /** Forget everything. */
  clear(): void {
    this.#byToken.clear();
    this.#tokensBySid.clear();
  }

  #delete(token: SessionToken, sid: SessionID): void {
    this.#byToken.delete(token);
    const tokens = this.#tokensBySid.get(sid);
    tokens?.delete(token);
    if (tokens?.size === 0) this.#tokensBySid.delete(sid);
  }
}
