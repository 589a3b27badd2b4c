/**
 * The browser's connector: gregord's WebSocket endpoint (`ws://host:port/rpc`) through the
 * standard WebSocket, so the client runs in a page with no Node module.
 */
import { type ConnectStandardWebSocketOptions, connectStandardWebSocket } from '../rpc/browser.js';
import type { Connector } from './client-options.js';

/** Sessions over a standard WebSocket to `url` (the browser's own, or `options.WebSocket`). */
export function standardWebSocketConnector(
  url: string,
  options: Omit<ConnectStandardWebSocketOptions, 'signal'> = {},
): Connector {
  return { connect: (signal) => connectStandardWebSocket(url, { ...options, signal }) };
}
