/**
 * `connect` for browsers: gregord's WebSocket endpoint through the standard WebSocket. A browser
 * cannot open TCP, so an fmprpc:// address is refused with a message that says what to use.
 */
import { gregorError } from '../errors.js';
import type { GregorAddress } from '../rpc/browser.js';
import type { Connector } from './client-options.js';
import { type ConnectOptions, connectWith } from './connect.js';
import type { Gregor } from './gregor.js';
import { standardWebSocketConnector } from './web.js';

/** The browser's connector for `address`: WebSocket only. */
export function browserConnectorFor(address: GregorAddress): Connector {
  if (address.kind === 'websocket') return standardWebSocketConnector(address.url);
  throw gregorError(
    'GREGOR_ERR_CONFIG_INVALID',
    `a browser cannot open TCP to ${address.host}:${address.port}: use gregord's WebSocket endpoint (ws://host:port/rpc or wss://…)`,
  );
}

/**
 * Connect to gregord at `url` (`ws://…/rpc` or `wss://…`) and resolve once connected, logged in
 * and synced. See docs/client-api.md.
 */
export function connect(url: string, options: ConnectOptions): Promise<Gregor> {
  return connectWith(url, options, browserConnectorFor);
}
