/**
 * The logging seam of the client (the subset of pino's API it uses, so a pino logger can be passed
 * as is) and the one fire-and-forget helper (background work is caught and logged,
 * never left floating).
 */
import type { RpcLogger } from '../rpc/browser.js';

/** A structured logger; pino's `Logger` satisfies it. */
export interface ClientLogger extends RpcLogger {
  /** A notable event (a fresh sync, a reconnect). */
  info(obj: object, msg: string): void;
}

const ignore = (): void => undefined;

/** Drops everything; the default when no logger is given. */
export const silentClientLogger: ClientLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};

/** Run `work` without waiting for it; a failure is logged as `what failed`, never thrown. */
export function runInBackground(work: Promise<unknown>, logger: ClientLogger, what: string): void {
  work.then(ignore, (err: unknown) => logger.warn({ err }, `${what} failed`));
}
