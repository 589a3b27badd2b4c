/**
 * The reconnect policy as data: `false` never reconnects, a number allows that
 * many attempts in a row, and a function decides each delay itself. The default backoff doubles
 * from DEFAULT_RECONNECT_BASE_DELAY_MS up to DEFAULT_RECONNECT_MAX_DELAY_MS, with jitter so that
 * the devices dropped by one server restart do not all come back in the same millisecond.
 */
import { type ErrorCode, type GregorError, gregorError, STATUS_CODE } from '../errors.js';
import type { Timers } from './timers.js';

/**
 * When and whether to reconnect:
 * - `false`: never; a drop closes the client;
 * - a number `n`: up to `n` attempts in a row (the count restarts after a successful connect),
 *   with the default backoff;
 * - a function of the attempt (1, 2, …) and the error that ended the last one: the delay in ms,
 *   or `false` to give up.
 * Left out, the client retries for ever with the default backoff.
 */
export type ReconnectPolicy =
  | false
  | number
  | ((attempt: number, cause: GregorError) => number | false);

/** The first retry waits about this long, ms (half of it fixed, half random). */
export const DEFAULT_RECONNECT_BASE_DELAY_MS = 250;
/** The backoff stops doubling here, ms. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;

/** The default backoff for `attempt` (1-based): half the ceiling fixed, half jitter. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(
    DEFAULT_RECONNECT_MAX_DELAY_MS,
    DEFAULT_RECONNECT_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const AUTH_REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'GREGOR_ERR_AUTH_FAILED',
  'GREGOR_ERR_AUTH_BAD_SESSION',
  'GREGOR_ERR_AUTH_MISMATCHED_UID',
]);

/**
 * The server refused the session token: retrying with the same token cannot succeed. A Gregor
 * server says so with an AuthError code; a Go gregord with Status 202 BAD_SESSION.
 */
export function isAuthRefusal(err: GregorError): boolean {
  if (AUTH_REFUSALS.has(err.code)) return true;
  const status = (err.cause as { code?: unknown } | undefined)?.code;
  return err.code === 'GREGOR_ERR_REMOTE' && status === STATUS_CODE.BAD_SESSION;
}

/**
 * The delay before attempt `attempt` (1-based) after `cause`, or false to give up. The built-in
 * policies give up on an auth refusal; a function policy sees the cause and decides for itself.
 */
export function reconnectDelayMs(
  policy: ReconnectPolicy | undefined,
  attempt: number,
  cause: GregorError,
  random: () => number = Math.random,
): number | false {
  if (policy === false) return false;
  if (typeof policy === 'function') {
    const delayMs = policy(attempt, cause);
    if (delayMs === false) return false;
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `reconnect policy returned ${String(delayMs)}; expected a delay ≥ 0 ms or false`,
      );
    }
    return delayMs;
  }
  if (isAuthRefusal(cause)) return false;
  if (typeof policy === 'number' && attempt > policy) return false;
  return backoffDelayMs(attempt, random);
}

/** Counts attempts, applies the policy and waits out the delays; `stop()` ends any wait. */
export class Reconnector {
  readonly #policy: ReconnectPolicy | undefined;
  readonly #timers: Timers;
  readonly #random: () => number;
  #attempt = 0;
  #timer: unknown;
  #wake: (() => void) | undefined;
  #isStopped = false;

  constructor(policy: ReconnectPolicy | undefined, timers: Timers, random = Math.random) {
    this.#policy = policy;
    this.#timers = timers;
    this.#random = random;
  }

  /** Failed attempts since the last success. */
  get attempt(): number {
    return this.#attempt;
  }

  /** True once stopped. */
  get isStopped(): boolean {
    return this.#isStopped;
  }

  /** A connection is up: the next failure starts again at attempt 1. */
  reset(): void {
    this.#attempt = 0;
  }

  /** Count a failure; the delay before the next attempt, or false to give up (always once stopped). */
  next(cause: GregorError): number | false {
    if (this.#isStopped) return false;
    this.#attempt++;
    return reconnectDelayMs(this.#policy, this.#attempt, cause, this.#random);
  }

  /**
   * Resolve after `delayMs`, or at once when stopped (now or during the wait). Unlike the outbox
   * timer, this one keeps the process alive: an open client waiting to reconnect is still working,
   * as a connected one is through its socket.
   */
  wait(delayMs: number): Promise<void> {
    if (this.#isStopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#timers.setTimeout(() => this.#finishWait(), delayMs);
    });
  }

  /** Stop: end the current wait and refuse further attempts. Idempotent. */
  stop(): void {
    this.#isStopped = true;
    this.#finishWait();
  }

  #finishWait(): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
