/**
 * `connect` for browsers: gregord's WebSocket endpoint through the standard WebSocket. A browser
 * cannot open TCP, so an fmprpc:// address is refused with a message that says what to use.
 */
import { gregorError } from '../errors.js';
import type { GregorAddress } from '../rpc/browser.js';
import type { Connector } from './client-options.js';
import { type ConnectOptions, connectWith } from './connect.js';
import type { Gregor } from './gregor.js';
import type { GregorConnection } from './gregor-connection.js';
import { type BrowserConnectOptions, canShareTabs, connectSharedTabs } from './shared-gregor.js';
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
 * and synced. See docs/client.md. The tabs of this browser share one connection per user and
 * server unless `shareTabs: false` (docs/browser-tabs.md); the result has the same API either way,
 * and with `shareTabs: false` it is the Gregor itself (with its low-level `client`).
 */
export function connect(
  url: string,
  options: ConnectOptions & { shareTabs: false },
): Promise<Gregor>;
export function connect(url: string, options: BrowserConnectOptions): Promise<GregorConnection>;
export function connect(url: string, options: BrowserConnectOptions): Promise<GregorConnection> {
  if (options.shareTabs !== false && canShareTabs()) {
    return connectSharedTabs(url, options, browserConnectorFor);
  }
  return connectWith(url, options, browserConnectorFor);
}
