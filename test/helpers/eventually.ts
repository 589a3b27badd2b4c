/**
 * The one polling wait of the tests: retry a check until it passes or the deadline passes. For
 * effects that no event announces (a counter in another process, a row written by a background
 * loop); where an event exists, wait for the event instead.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long `eventually` retries by default, ms. */
export const DEFAULT_EVENTUALLY_TIMEOUT_MS = 3000;
/** How long it sleeps between two checks by default, ms. */
export const DEFAULT_EVENTUALLY_INTERVAL_MS = 5;

export interface EventuallyOptions {
  /** Give up once this much time has passed since the first check. @default 3000 */
  timeoutMs?: number;
  /** Sleep between two checks. @default 5 */
  intervalMs?: number;
  /** What is awaited, for the timeout's message. */
  message?: string;
}

/**
 * Run `check` until it passes: an assertion passes when it does not throw, a predicate when it
 * returns anything but `false`. Resolves with what the passing check returned. Once `timeoutMs`
 * has passed, rejects with the last failure: the error the check threw, or an AssertionError
 * naming `message` when it returned `false`. The check runs at least once, and once more after
 * the deadline, so a slow machine does not fail a check that has come true in the meantime.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const {
    timeoutMs = DEFAULT_EVENTUALLY_TIMEOUT_MS,
    intervalMs = DEFAULT_EVENTUALLY_INTERVAL_MS,
    message = 'a condition',
  } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isLast = Date.now() > deadline;
    let failure: unknown;
    try {
      const result = await check();
      if (result !== false) return result as Exclude<T, false>;
      failure = new assert.AssertionError({
        message: `timed out after ${timeoutMs} ms waiting for ${message}`,
      });
    } catch (err) {
      failure = err;
    }
    if (isLast) throw failure;
    await sleep(intervalMs);
  }
}
