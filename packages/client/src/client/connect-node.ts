/**
 * `connect` for Node: fmprpc:// (and bare host:port) over TCP, fmprpc+tls:// over TLS, ws:// and
 * wss:// through the `ws` package.
 */
import type { GregorAddress } from '../rpc/index.js';
import type { Connector } from './client-options.js';
import { type ConnectOptions, connectWith } from './connect.js';
import type { Gregor } from './gregor.js';
import { type TcpConnectorOptions, tcpConnector, webSocketConnector } from './node.js';

/** The options of Node's `connect`: those of every platform, and the TLS settings. */
export interface NodeConnectOptions extends ConnectOptions {
  /** TLS settings for fmprpc+tls:// (a private CA, a client certificate…). */
  tls?: TcpConnectorOptions['tls'];
}

/** The Node connector for `address`; `tls` applies to fmprpc+tls://. */
export function nodeConnectorFor(
  address: GregorAddress,
  tls?: TcpConnectorOptions['tls'],
): Connector {
  if (address.kind === 'websocket') return webSocketConnector(address.url);
  const tcp = { host: address.host, port: address.port };
  return tcpConnector(tcp, address.tls ? { tls: tls ?? {} } : {});
}

/**
 * Connect to gregord at `url` (`fmprpc://host:port`, `fmprpc+tls://…`, `host:port`, `ws://…/rpc`
 * or `wss://…`) and resolve once connected, logged in and synced. See docs/client.md.
 */
export function connect(url: string, options: NodeConnectOptions): Promise<Gregor> {
  return connectWith(url, options, (address) => nodeConnectorFor(address, options.tls));
}
