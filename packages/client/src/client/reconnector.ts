/**
 * The client's reconnects: the shared ReconnectPolicy (rpc/reconnect-policy.ts) with the device
 * backoff, plus one rule of its own: a refused session token ends the built-in policies, since
 * retrying with the same token cannot succeed.
 */
import { type ErrorCode, type GregorError, STATUS_CODE } from '../errors.js';
import { type ReconnectPolicy, reconnectDelayMs } from '../rpc/browser.js';
import type { Timers } from './timers.js';

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
export function clientReconnectDelayMs(
  policy: ReconnectPolicy<GregorError> | undefined,
  attempt: number,
  cause: GregorError,
  random: () => number = Math.random,
): number | false {
  if (typeof policy !== 'function' && isAuthRefusal(cause)) return false;
  return reconnectDelayMs(policy, attempt, cause, { random });
}

/** Counts attempts, applies the policy and waits out the delays; `stop()` ends any wait. */
export class Reconnector {
  readonly #policy: ReconnectPolicy<GregorError> | undefined;
  readonly #timers: Timers;
  readonly #random: () => number;
  #attempt = 0;
  #timer: unknown;
  #wake: (() => void) | undefined;
  #isStopped = false;

  constructor(
    policy: ReconnectPolicy<GregorError> | undefined,
    timers: Timers,
    random = Math.random,
  ) {
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
    return clientReconnectDelayMs(this.#policy, this.#attempt, cause, this.#random);
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
