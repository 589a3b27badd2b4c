/**
 * The `gregor` command's connection to a gregord: one framed msgpack-rpc session over TCP or TLS,
 * calls by method key from the one method table (STYLE.md §1.4), closed when done.
 */
import { readFileSync } from 'node:fs';
import type { MethodArg, MethodKey, MethodResult, MethodSpec } from 'gregor-client/protocol';
import { METHODS } from 'gregor-client/protocol';
import { connectTcp, HandlerRegistry, type RpcSession } from 'gregor-client/rpc';

/** Where and how to connect. */
export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  /** Dial TLS; `caFile` adds a CA to trust (e.g. a self-signed gregord certificate). */
  readonly tls: { readonly caFile: string | undefined } | null;
  /** Connect and call timeout, ms. */
  readonly timeoutMs: number;
}

/** A connected session with typed calls. */
export class GregorAdminClient {
  readonly #session: RpcSession;
  readonly #timeoutMs: number;

  private constructor(session: RpcSession, timeoutMs: number) {
    this.#session = session;
    this.#timeoutMs = timeoutMs;
  }

  /** Connect to `target`; `handlers` serves the server's calls (broadcastMessage) on the session. */
  static async connect(
    target: ClientTarget,
    handlers: HandlerRegistry = new HandlerRegistry(),
  ): Promise<GregorAdminClient> {
    const tls =
      target.tls === null
        ? undefined
        : target.tls.caFile === undefined
          ? {}
          : { ca: readFileSync(target.tls.caFile, 'utf8') };
    const session = await connectTcp({
      host: target.host,
      port: target.port,
      timeoutMs: target.timeoutMs,
      session: { handlers },
      ...(tls === undefined ? {} : { tls }),
    });
    return new GregorAdminClient(session, target.timeoutMs);
  }

  /** Call gregor.1 method `key` with `arg`; rejects with the server's error. */
  call<K extends MethodKey>(key: K, arg: MethodArg<K>): Promise<MethodResult<K>> {
    return this.callSpec(METHODS[key] as unknown as MethodSpec<MethodArg<K>, MethodResult<K>>, arg);
  }

  /** Call the method `spec` declares (gregor.1 or gregord's own) with `arg`. */
  async callSpec<A, R>(spec: MethodSpec<A, R>, arg: A): Promise<R> {
    const raw = await this.#session.call(spec.name, spec.encodeArg(arg), {
      timeoutMs: this.#timeoutMs,
    });
    return spec.decodeResult(raw);
  }

  /** Resolves when the session closes (the server went away, or `close()`). */
  closed(): Promise<unknown> {
    return this.#session.closed();
  }

  /** Close the session and wait until it is closed. */
  async close(): Promise<void> {
    this.#session.close();
    await this.#session.closed();
  }
}

/**
 * JSON for records with byte fields: IDs become lowercase hex; a `body` becomes its UTF-8 text
 * when it is valid UTF-8, otherwise `base64:<data>`.
 */
export function toJson(value: unknown): string {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return JSON.stringify(
    value,
    (key, v: unknown) => {
      if (!(v instanceof Uint8Array)) return v;
      if (key === 'body') {
        try {
          return utf8.decode(v);
        } catch {
          return `base64:${Buffer.from(v).toString('base64')}`;
        }
      }
      return Buffer.from(v).toString('hex');
    },
    2,
  );
}
