/**
 * One call into the state machine from the server: timed into the storage histogram, and any
 * failure that is not already a typed Gregor error becomes GREGOR_ERR_STORAGE_FAILED with the
 * original as its `cause` (logged, never sent: rpc's toStatus sends only the registry message for
 * storage errors, so no SQL text reaches the wire).
 */
import { gregorError, isGregorError } from 'gregor-client/errors';
import type { ServerMetrics } from './metrics.js';

/** Run `fn` as storage operation `op`. */
export async function storageCall<T>(
  metrics: ServerMetrics,
  op: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await metrics.timeStorage(op, fn);
  } catch (err) {
    if (isGregorError(err)) throw err;
    throw gregorError('GREGOR_ERR_STORAGE_FAILED', undefined, { cause: err });
  }
}
