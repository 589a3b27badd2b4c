/**
 * Keeps one session to gregord up: connect, set the session up (the caller's
 * `open`: serve broadcasts, log in, sync, send the outbox), report `connected`, wait for the drop,
 * then ask the Reconnector whether and when to try again. Only the socket is replaced; the local
 * state and the outbox live outside it and are replayed by `open` on every new session.
 */
import { type GregorError, gregorError, isGregorError } from '../errors.js';
import type { ClientLogger } from './client-logger.js';
import type { ConnectFn } from './client-options.js';
import type { Reconnector } from './reconnector.js';
import { Remote } from './remote.js';
import type { ClientStatus } from './status-stream.js';

/** `err` as a GregorError: a foreign error becomes GREGOR_ERR_CLOSED with it as the cause. */
export function toGregorError(err: unknown, what = 'connection failed'): GregorError {
  if (isGregorError(err)) return err;
  const detail = err instanceof Error ? `: ${err.message}` : '';
  return gregorError('GREGOR_ERR_CLOSED', `${what}${detail}`, { cause: err });
}

/** What the keeper needs around it. */
export interface SessionKeeperOptions {
  connect: ConnectFn;
  reconnector: Reconnector;
  /** Set a new session up; a rejection fails the attempt and the session is closed. */
  open: (remote: Remote) => Promise<void>;
  /** Told every status but the final `closed`, which the owner reports once it has cleaned up. */
  report: (status: ClientStatus) => void;
  logger: ClientLogger;
}

/** The connect / set up / wait for the drop / reconnect loop. */
export class SessionKeeper {
  readonly #opts: SessionKeeperOptions;
  readonly #abort = new AbortController();
  /** The session being set up or in use. */
  #current: Remote | undefined;
  /** The session once set up, until it drops. */
  #ready: Remote | undefined;
  #isStopping = false;

  constructor(options: SessionKeeperOptions) {
    this.#opts = options;
  }

  /** The connected, logged-in session, or undefined. */
  get remote(): Remote | undefined {
    return this.#ready;
  }

  /**
   * Run the loop until `stop()` (resolves undefined) or until the policy gives up (resolves with
   * the error that ended the last attempt).
   */
  async run(): Promise<GregorError | undefined> {
    const { reconnector, report, logger } = this.#opts;
    for (;;) {
      report({ type: 'connecting', attempt: reconnector.attempt });
      let cause: GregorError;
      try {
        cause = await this.#connectAndServe();
        if (this.#isStopping) return undefined;
        report({ type: 'disconnected', error: cause });
      } catch (err) {
        if (this.#isStopping) return undefined;
        cause = toGregorError(err);
        logger.warn({ err: cause }, 'gregor connection attempt failed');
      }
      let delayMs: number | false;
      try {
        delayMs = reconnector.next(cause);
      } catch (err) {
        return toGregorError(err);
      }
      if (delayMs === false) return cause;
      report({ type: 'reconnecting', attempt: reconnector.attempt, delayMs, error: cause });
      await reconnector.wait(delayMs);
      if (this.#isStopping) return undefined;
    }
  }

  /** Stop the loop: abort a connect under way, close the session, end a reconnect wait. */
  stop(): void {
    if (this.#isStopping) return;
    this.#isStopping = true;
    this.#opts.reconnector.stop();
    this.#abort.abort(gregorError('GREGOR_ERR_CLOSED', 'client closed'));
    this.#current?.close();
  }

  /** One session: resolves with why it dropped after it was set up; rejects if it never was. */
  async #connectAndServe(): Promise<GregorError> {
    const session = await this.#opts.connect(this.#abort.signal);
    const remote = new Remote(session);
    this.#current = remote;
    try {
      if (this.#isStopping) throw gregorError('GREGOR_ERR_CLOSED', 'client closed');
      await this.#opts.open(remote);
    } catch (err) {
      remote.close();
      this.#current = undefined;
      throw err;
    }
    this.#ready = remote;
    this.#opts.reconnector.reset();
    this.#opts.report({ type: 'connected' });
    const err = await session.closed();
    this.#ready = undefined;
    this.#current = undefined;
    return err ?? gregorError('GREGOR_ERR_CLOSED', 'the server closed the connection');
  }
}
