/**
 * The sessions a listener accepted: each one is created with the listener's options (its limits
 * validated once, not per connection), handed to the caller, forgotten when it closes, and
 * closed when the listener closes.
 */
import { gregorError } from '../errors.js';
import { silentLogger } from './logger.js';
import { type RpcLimits, resolveRpcLimits } from './options.js';
import { RpcSession, type RpcSessionOptions } from './session.js';
import type { Transport } from './transport.js';

/** Called with each accepted session; register its handlers before returning. */
export type OnSession = (session: RpcSession) => void;

/** The live sessions of one listener. */
export class SessionSet {
  readonly #options: RpcSessionOptions;
  readonly #onSession: OnSession;
  readonly #sessions = new Set<RpcSession>();
  /** The resolved limits every session of this listener gets. */
  readonly limits: RpcLimits;

  constructor(options: Omit<RpcSessionOptions, 'id'>, onSession: OnSession) {
    this.limits = resolveRpcLimits(options.limits);
    this.#options = { ...options, limits: this.limits };
    this.#onSession = onSession;
  }

  /** The live sessions. */
  get sessions(): ReadonlySet<RpcSession> {
    return this.#sessions;
  }

  /** Start a session on `transport` and hand it to the caller. */
  open(transport: Transport): RpcSession {
    const session = new RpcSession(transport, this.#options);
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    try {
      this.#onSession(session);
    } catch (err) {
      // The caller's callback must not take the listener down; this connection is closed instead.
      (this.#options.logger ?? silentLogger).error({ session: session.id, err }, 'onSession threw');
      session.close(gregorError('GREGOR_ERR_INTERNAL', 'session setup failed', { cause: err }));
    }
    return session;
  }

  /** Close every live session; resolves once they all reported 'close'. */
  async closeAll(): Promise<void> {
    const closing = [...this.#sessions].map((session) => {
      session.close();
      return session.closed();
    });
    await Promise.all(closing);
  }
}
