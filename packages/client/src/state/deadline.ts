/**
 * Bound a wait by a timeout and an abort signal, so no wait lasts for ever. Drivers bound their own
 * waits only in part: node-redis applies its command `timeout` only while a command is still
 * unsent, and a database pool queues a caller before any statement timeout starts, so a frozen
 * Redis or database would hang its callers without this. The work itself goes on; only the wait
 * ends.
 */
import { gregorError } from '../errors.js';

/** How long to wait, and what may cut the wait short. */
export interface DeadlineOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Settle like `promise`, or reject with GREGOR_ERR_TIMEOUT after `timeoutMs`, or with
 * GREGOR_ERR_ABORTED when `signal` aborts. The timer and the listener are removed on settling;
 * a late rejection of `promise` is absorbed.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  opts: DeadlineOptions,
  what: string,
): Promise<T> {
  const { timeoutMs, signal } = opts;
  if (signal?.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(gregorError('GREGOR_ERR_ABORTED', `${what}: aborted`));
  }
  return new Promise<T>((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      settle();
      reject(gregorError('GREGOR_ERR_ABORTED', `${what}: aborted`));
    };
    const timer = setTimeout(() => {
      settle();
      reject(gregorError('GREGOR_ERR_TIMEOUT', `${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}
