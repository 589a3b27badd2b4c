/**
 * Waiting for an outgoing connection to open, with the `{signal, timeoutMs}` every I/O wait takes
 * (a dial never waits for ever). The listeners are removed whichever way it settles.
 */
import { gregorError } from '../errors.js';

/**
 * The part of an event emitter the wait uses (a net.Socket or a ws WebSocket), described here so
 * that this module, which the browser surface also loads, names no Node type.
 */
interface Emitter {
  once(event: string, listener: (err: Error) => void): unknown;
  off(event: string, listener: (err: Error) => void): unknown;
}

/** Options of a connect helper. */
export interface ConnectOptions {
  /** Aborting gives up the attempt with GREGOR_ERR_ABORTED. */
  signal?: AbortSignal;
  /** Give up after this many ms with GREGOR_ERR_TIMEOUT. @default DEFAULT_CONNECT_TIMEOUT_MS */
  timeoutMs?: number;
}

/** How long a connect helper waits for the connection, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Resolve when `target` emits `readyEvent`; reject on 'error', abort or timeout, calling
 * `giveUp` so the half-open connection is released.
 */
export function waitForConnection(
  target: Emitter,
  readyEvent: string,
  label: string,
  opts: ConnectOptions,
  giveUp: () => void,
): Promise<void> {
  const { signal, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = opts;
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error): void => {
      clearTimeout(timer);
      target.off(readyEvent, onReady);
      target.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve();
      } else {
        giveUp();
        reject(err);
      }
    };
    const onReady = (): void => settle();
    const onError = (err: Error): void =>
      settle(
        gregorError('GREGOR_ERR_CLOSED', `cannot connect to ${label}: ${err.message}`, {
          cause: err,
        }),
      );
    const onAbort = (): void =>
      settle(
        gregorError('GREGOR_ERR_ABORTED', `connecting to ${label} aborted`, {
          cause: signal?.reason,
        }),
      );
    const timer = setTimeout(
      () =>
        settle(
          gregorError(
            'GREGOR_ERR_TIMEOUT',
            `connecting to ${label} timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    target.once(readyEvent, onReady);
    target.once('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
