/**
 * How a failed start of gregord is reported: one line that says what could not be set up, the
 * underlying cause in words (the innermost error of the chain: `database "x" does not exist`,
 * `connection refused by 127.0.0.1:5432`), and which option to fix. The driver's own text is
 * fine here: it goes to the operator's terminal, never on the wire.
 */
import { type ErrorCode, type GregorError, gregorError } from 'gregor-client/errors';
import { configOption, type OptionKey, optionName } from './config-table.js';

/** Socket and file errno codes, said in words. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'no answer (timed out)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'not an address of this machine',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
};

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The innermost error of a `cause` chain (the first of an AggregateError's errors). */
export function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 16; depth++) {
    const e = current as ErrorLike | null;
    if (typeof e !== 'object' || e === null) break;
    if (e.cause !== undefined && e.cause !== null) current = e.cause;
    else if (Array.isArray(e.errors) && e.errors.length > 0) current = e.errors[0];
    else break;
  }
  return current;
}

/** One line, in words, of what finally went wrong in `err`. */
export function causeText(err: unknown): string {
  const root = rootCause(err) as ErrorLike | null;
  if (typeof root !== 'object' || root === null) return oneLine(String(root));
  const code = typeof root.code === 'string' ? root.code : undefined;
  const words = code === undefined ? undefined : ERRNO_TEXT[code];
  if (words !== undefined) {
    const where =
      typeof root.address === 'string'
        ? ` ${root.address}${typeof root.port === 'number' ? `:${root.port}` : ''}`
        : typeof root.hostname === 'string'
          ? ` ${root.hostname}`
          : '';
    return `${words}${where ? ` (${where.trim()})` : ''} [${code}]`;
  }
  const message = typeof root.message === 'string' ? root.message : '';
  return oneLine(message || code || 'unknown error');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/** How to name options in a hint: `--storage (GREGOR_STORAGE)`, joined with "or". */
export function optionHint(keys: readonly OptionKey[]): string {
  return keys.map((key) => optionName(configOption(key))).join(' or ');
}

/**
 * A start-up failure: `<subject>: <cause>; check <options>`, one line, `err` as its cause.
 * `fix` is either option keys to name, or a sentence of its own (e.g. a chmod).
 */
export function startupError(
  code: ErrorCode,
  subject: string,
  err: unknown,
  fix: readonly OptionKey[] | string,
): GregorError {
  const advice = typeof fix === 'string' ? fix : `check ${optionHint(fix)}`;
  return gregorError(code, `${subject}: ${causeText(err)}; ${advice}`, { cause: err });
}
