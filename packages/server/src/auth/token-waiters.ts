/**
 * The latest superuser token, and the callers waiting for the first one: the original
 * `GetSuperToken()` blocked until a token arrived; here each wait is
 * bounded by a timeout and a signal and removes its listeners when it settles.
 */
import { gregorError } from 'gregor-client/errors';
import type { SessionToken } from 'gregor-client/protocol';

interface Waiter {
  resolve(token: SessionToken): void;
  reject(err: Error): void;
}

/** Holds one token; hands it to waiters as soon as it is set. */
export class TokenWaiters {
  #token: SessionToken | undefined;
  #waiters = new Set<Waiter>();
  #isClosed = false;

  /** The current token, if any. */
  get token(): SessionToken | undefined {
    return this.#token;
  }

  /** Replace the token and release every waiter with it. */
  set(token: SessionToken): void {
    this.#token = token;
    for (const waiter of [...this.#waiters]) waiter.resolve(token);
  }

  /**
   * The token now, or once set. Rejects with GREGOR_ERR_AUTH_UNAVAILABLE after `timeoutMs` (the
   * message from `describe()`), GREGOR_ERR_ABORTED when `signal` fires, GREGOR_ERR_CLOSED after close().
   */
  get(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    describe: () => string,
  ): Promise<SessionToken> {
    if (this.#isClosed)
      return Promise.reject(gregorError('GREGOR_ERR_CLOSED', 'the authenticator is closed'));
    if (this.#token !== undefined) return Promise.resolve(this.#token);
    if (signal?.aborted)
      return Promise.reject(gregorError('GREGOR_ERR_ABORTED', undefined, { cause: signal.reason }));
    return new Promise<SessionToken>((resolve, reject) => {
      const settle = (fn: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        fn();
      };
      const waiter: Waiter = {
        resolve: (token) => settle(() => resolve(token)),
        reject: (err) => settle(() => reject(err)),
      };
      const onAbort = (): void =>
        waiter.reject(gregorError('GREGOR_ERR_ABORTED', undefined, { cause: signal?.reason }));
      const timer = setTimeout(
        () => waiter.reject(gregorError('GREGOR_ERR_AUTH_UNAVAILABLE', describe())),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Reject every waiter with GREGOR_ERR_CLOSED and refuse new ones. */
  close(): void {
    this.#isClosed = true;
    this.#token = undefined;
    for (const waiter of [...this.#waiters])
      waiter.reject(gregorError('GREGOR_ERR_CLOSED', 'the authenticator is closed'));
  }
}
