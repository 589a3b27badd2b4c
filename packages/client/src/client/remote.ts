/**
 * Typed gregor.1 calls over one RpcSession, derived from the method table (no
 * method name appears as a string here). The rpc layer is imported for its types only, so the
 * client core pulls in no socket code.
 */
import {
  METHODS,
  type MethodArg,
  type MethodKey,
  type MethodResult,
  type MethodSpec,
} from '../protocol/index.js';
import type { CallOptions, RpcSession } from '../rpc/browser.js';

function specOf<K extends MethodKey>(key: K): MethodSpec<MethodArg<K>, MethodResult<K>> {
  return METHODS[key] as unknown as MethodSpec<MethodArg<K>, MethodResult<K>>;
}

/** One connection to gregord, seen through the method table. */
export class Remote {
  /** The session the calls go over. */
  readonly session: RpcSession;

  constructor(session: RpcSession) {
    this.session = session;
  }

  /** Call method `key` with `arg`; resolves with the decoded result, rejects with the typed error. */
  async call<K extends MethodKey>(
    key: K,
    arg: MethodArg<K>,
    opts?: CallOptions,
  ): Promise<MethodResult<K>> {
    const spec = specOf(key);
    return spec.decodeResult(await this.session.call(spec.name, spec.encodeArg(arg), opts));
  }

  /**
   * Serve method `key` on this session: the argument is decoded with the table's codec, and what
   * `handler` resolves with is encoded as the result. A rejection becomes the error response.
   */
  serve<K extends MethodKey>(
    key: K,
    handler: (arg: MethodArg<K>) => Promise<MethodResult<K>>,
  ): void {
    const spec = specOf(key);
    this.session.handle(spec.name, async (raw) =>
      spec.encodeResult(await handler(spec.decodeArg(raw))),
    );
  }

  /** Close the session (idempotent). */
  close(): void {
    this.session.close();
  }
}
