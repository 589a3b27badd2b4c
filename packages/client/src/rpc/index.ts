/**
 * The public surface of the rpc layer: framed msgpack-rpc (gregor-protocol.md §8) over TCP, TLS,
 * WebSocket or an in-memory pair. It knows nothing of gregor beyond keybase1 Status errors.
 * browser.ts is the part that loads no Node module.
 */
export * from './browser.js';
export type { ConnectTcpOptions, ListenTcpOptions, RpcListener } from './transport-tcp.js';
export {
  CLOSE_GRACE_MS,
  connectTcp,
  listenTcp,
  TCP_KEEPALIVE_DELAY_MS,
  TcpTransport,
} from './transport-tcp.js';
export type {
  AttachWebSocketOptions,
  ConnectWebSocketOptions,
  NodeWebSocketClientOptions,
  WebSocketAttachment,
} from './transport-ws.js';
export { attachWebSocketServer, connectWebSocket } from './transport-ws.js';
