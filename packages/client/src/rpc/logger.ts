/**
 * The logging seam of the rpc layer: the subset of pino's API it uses (`logger.warn(obj, msg)`),
 * so a pino logger (or a child with the connection id bound) can be passed as is, and the layer
 * itself depends on no logging library.
 */

/** A structured logger; pino's `Logger` satisfies it. */
export interface RpcLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const ignore = (): void => undefined;

/** Drops everything; the default when no logger is given. */
export const silentLogger: RpcLogger = { debug: ignore, warn: ignore, error: ignore };
