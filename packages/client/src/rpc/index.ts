/**
 * The public surface of the rpc layer: framed msgpack-rpc (docs/protocol.md) over TCP, TLS,
 * WebSocket or an in-memory pair. It knows nothing of gregor beyond keybase1 Status errors.
 * browser.ts is the part that loads no Node module.
 */
export * from './browser.js';
export type {
  AttachWebSocketOptions,
  ConnectNodeWebSocketOptions,
  NodeWebSocketClientOptions,
  WebSocketAttachment,
} from './transport-node-ws.js';
export { attachWebSocketServer, connectNodeWebSocket } from './transport-node-ws.js';
export type { ConnectTcpOptions, ListenTcpOptions, RpcListener } from './transport-tcp.js';
export {
  CLOSE_GRACE_MS,
  connectTcp,
  listenTcp,
  TCP_KEEPALIVE_DELAY_MS,
  TcpTransport,
} from './transport-tcp.js';
