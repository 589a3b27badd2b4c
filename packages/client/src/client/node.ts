/**
 * The Node-only parts of the client (the core uses no Node module, so it runs in browsers):
 * connectors over the rpc layer's TCP/TLS and WebSocket transports, and a ClientStorage in files.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gregorError } from '../errors.js';
import {
  type ConnectNodeWebSocketOptions,
  type ConnectTcpOptions,
  connectNodeWebSocket,
  connectTcp,
  parseGregorUrl,
  type RpcSession,
} from '../rpc/index.js';
import type { Connector } from './client-options.js';
import type { ClientStorage } from './client-storage.js';

/** Where a TCP connector dials. */
export interface TcpAddress {
  host: string;
  port: number;
}

/** Options of `tcpConnector`: TLS, the connect timeout, session limits. */
export type TcpConnectorOptions = Omit<ConnectTcpOptions, 'host' | 'port' | 'signal'>;

/**
 * `host:port`, `fmprpc://host:port` or `fmprpc+tls://host:port` (docs/protocol.md, "Transports") as
 * an address to dial; the `+tls` form asks for TLS. Throws GREGOR_ERR_CONFIG_INVALID on anything
 * else, port 0 included (it names no peer). Every dial address of the project is read here;
 * gregord's listen addresses differ (`:PORT` means every interface, port 0 a free one).
 */
export function parseGregorAddress(address: string): TcpAddress & { isTls: boolean } {
  const parsed = parseGregorUrl(address);
  if (parsed.kind !== 'tcp') {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `invalid gregord address ${JSON.stringify(address)}: a TCP connector needs host:port or fmprpc[+tls]://host:port (use webSocketConnector for ws://)`,
    );
  }
  return { host: parsed.host, port: parsed.port, isTls: parsed.tls };
}

/** A Connector that dials gregord over TCP, or TLS for `fmprpc+tls://` or `opts.tls`. */
export function tcpConnector(
  address: string | TcpAddress,
  opts: TcpConnectorOptions = {},
): Connector {
  const parsed =
    typeof address === 'string' ? parseGregorAddress(address) : { ...address, isTls: false };
  const tls = opts.tls ?? (parsed.isTls ? {} : undefined);
  return {
    connect: (signal: AbortSignal): Promise<RpcSession> =>
      connectTcp({
        ...opts,
        host: parsed.host,
        port: parsed.port,
        signal,
        ...(tls === undefined ? {} : { tls }),
      }),
  };
}

/** A Connector that opens a WebSocket to `url` (gregord's HTTP side, path `/rpc` by default). */
export function webSocketConnector(
  url: string,
  opts: Omit<ConnectNodeWebSocketOptions, 'signal'> = {},
): Connector {
  return { connect: (signal) => connectNodeWebSocket(url, { ...opts, signal }) };
}

/** A ClientStorage with one file per key in `dir`; a write replaces its file atomically. */
export class FileClientStorage implements ClientStorage {
  readonly #dir: string;
  #writes = 0;

  /** @param dir the folder of the files; created on the first write. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    // Write aside, then rename: a crash leaves the old file or the new one, never half of one.
    const path = this.#path(key);
    const temp = `${path}.${process.pid}.${++this.#writes}.tmp`;
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, path);
  }

  #path(key: string): string {
    return join(this.#dir, encodeURIComponent(key));
  }
}
