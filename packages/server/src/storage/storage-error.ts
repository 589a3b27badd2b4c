/**
 * The one place database failures become Gregor errors. The driver's error rides along as `cause`;
 * the message names the operation and the driver's error code only, never SQL text or values, since
 * messages may reach the wire.
 */
import { type ErrorCode, type GregorError, gregorError, isGregorError } from 'gregor-client/errors';

function driverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

/**
 * `err` as a GregorError: Gregor errors pass through unchanged; anything else becomes `code`
 * (GREGOR_ERR_STORAGE_FAILED by default) with `cause` set.
 */
export function toStorageError(
  err: unknown,
  operation: string,
  code: ErrorCode = 'GREGOR_ERR_STORAGE_FAILED',
): GregorError {
  if (isGregorError(err)) return err;
  const detail = driverCode(err);
  const message = `storage: ${operation} failed${detail === undefined ? '' : ` (${detail})`}`;
  return gregorError(code, message, { cause: err });
}
