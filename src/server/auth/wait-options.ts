/** Small helpers for the `{ signal?, timeoutMs? }` options every auth call takes (STYLE.md §5.2). */
import { gregorError } from '../../errors.js';
import type { WaitOptions } from '../../state/index.js';

/** Throws AbortError (GREGOR_ERR_ABORTED) when `opts.signal` has already fired. */
export function throwIfAborted(opts: WaitOptions | undefined): void {
  if (opts?.signal?.aborted) {
    throw gregorError('GREGOR_ERR_ABORTED', undefined, { cause: opts.signal.reason });
  }
}
