/**
 * A small authd for tests, built with the rpc layer on 127.0.0.1 port 0: it knows a few tokens,
 * hands out a superuser token, counts the calls it serves, and can push revocations to every
 * gregord connected to it.
 */
import { gregorError } from '../../../packages/client/src/errors.js';
import type { AuthResult, UID } from '../../../packages/client/src/protocol/index.js';
import { METHODS } from '../../../packages/client/src/protocol/index.js';
import type { RpcListener, RpcSession } from '../../../packages/client/src/rpc/index.js';
import { HandlerRegistry, listenTcp } from '../../../packages/client/src/rpc/index.js';

/** The user of the `goodtoken` session. */
export const U1 = Uint8Array.from({ length: 16 }, (_, i) => i + 1) as UID;
/** What authd answers for `goodtoken` (case 49). */
export const GOOD: AuthResult = { uid: U1, username: 'alice', sid: '1', isAdmin: false };

/** A small authd on 127.0.0.1:0, built with the rpc layer, that counts the calls it serves. */
export class FakeAuthd {
  readonly tokens = new Map<string, AuthResult>([['goodtoken', GOOD]]);
  superToken = 'super-1';
  authCalls = 0;
  superCalls = 0;
  /** When set, authenticateSessionToken never answers. */
  isHanging = false;
  readonly sessions: RpcSession[] = [];
  #listener: RpcListener | undefined;

  /** Listen on 127.0.0.1 (`port` 0: a free one), with TLS when `tls` gives a key and certificate. */
  async start(port = 0, tls?: { key: string; cert: string }): Promise<number> {
    const handlers = new HandlerRegistry()
      .register(METHODS.authenticateSessionToken.name, (arg) => {
        this.authCalls++;
        if (this.isHanging) return new Promise(() => undefined);
        const { session } = METHODS.authenticateSessionToken.decodeArg(arg);
        const result = this.tokens.get(session);
        if (result === undefined) throw gregorError('GREGOR_ERR_AUTH_FAILED', 'unknown token');
        return METHODS.authenticateSessionToken.encodeResult(result);
      })
      .register(METHODS.createGregorSuperUserSessionToken.name, () => {
        this.superCalls++;
        return this.superToken;
      });
    const options = { host: '127.0.0.1', port, session: { handlers }, ...(tls ? { tls } : {}) };
    this.#listener = await listenTcp(options, (s) => {
      this.sessions.push(s);
    });
    return this.#listener.address.port;
  }

  /** authd pushes a revocation on every connection gregord opened. */
  async revoke(sessionIDs: string[]): Promise<void> {
    const live = this.sessions.filter((s) => !s.isClosed);
    await Promise.all(live.map((s) => s.call(METHODS.revokeSessionIDs.name, { sessionIDs })));
  }

  async stop(): Promise<void> {
    await this.#listener?.close();
  }
}
