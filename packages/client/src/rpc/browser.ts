/**
 * The browser-safe surface of the rpc layer: framed msgpack-rpc sessions (docs/protocol.md),
 * handler registries, Status errors, the in-memory pair and the standard-WebSocket transport. No
 * Node module is loaded from here; index.ts adds the Node transports (TCP, TLS, ws), internal.ts
 * the framing and message encoding underneath.
 */
export { GREGOR_WS_PATH, type GregorAddress, parseGregorUrl } from './address.js';
export type { ConnectOptions } from './connect-wait.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './connect-wait.js';
export type { Admission, Handler, HandlerContext, RegisteredHandler } from './handler-registry.js';
export { HandlerRegistry, splitMethodName } from './handler-registry.js';
export type { RpcLogger } from './logger.js';
export { silentLogger } from './logger.js';
export type { RpcLimits, RpcLimitsInput } from './options.js';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_CALLS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_FRAME_DEPTH,
  DEFAULT_MAX_FRAME_VALUES,
  DEFAULT_MAX_PENDING_CALLS,
  DEFAULT_MAX_WRITE_BUFFER_BYTES,
  resolveRpcLimits,
} from './options.js';
export type { CallOptions } from './pending-calls.js';
export {
  type BackoffDelays,
  backoffDelayMs,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_DELAYS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  parseReconnectPolicy,
  type ReconnectBackoff,
  type ReconnectDefaults,
  type ReconnectPolicy,
  reconnectDelayMs,
  reconnectPolicySchema,
  SERVER_LINK_RECONNECT_DELAYS,
} from './reconnect-policy.js';
export type { RpcSessionEvents, RpcSessionOptions } from './session.js';
export { RpcSession } from './session.js';
export type { OnSession } from './session-set.js';
export type { Status, StatusField } from './status.js';
export { fromStatus, STATUS_FIELD_CODE, toStatus } from './status.js';
export type { Transport, TransportSink } from './transport.js';
export { createTransportPair } from './transport-memory.js';
export type {
  ConnectStandardWebSocketOptions,
  StandardWebSocket,
  StandardWebSocketClass,
} from './transport-standard-websocket.js';
export {
  connectStandardWebSocket,
  StandardWebSocketTransport,
} from './transport-standard-websocket.js';
