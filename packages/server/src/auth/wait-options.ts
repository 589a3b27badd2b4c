/** Helpers for the `{ signal?, timeoutMs? }` options every auth call takes: no wait is endless. */
import { gregorError } from 'gregor-client/errors';
import type { WaitOptions } from 'gregor-client/state';

/** Throws AbortError (GREGOR_ERR_ABORTED) when `opts.signal` has already fired. */
export function throwIfAborted(opts: WaitOptions | undefined): void {
  if (opts?.signal?.aborted) {
    throw gregorError('GREGOR_ERR_ABORTED', undefined, { cause: opts.signal.reason });
  }
}

/**
 * `promise`, or a rejection with AbortError as soon as `signal` fires: lets one caller stop
 * waiting for work it shares with others, without cancelling the work for them.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(gregorError('GREGOR_ERR_ABORTED', undefined, { cause: signal.reason }));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
