/**
 * Gregor as a library. Each layer is also importable on its own (`gregor/protocol`,
 * `gregor/client`, …; see package.json "exports"); this entry point names the pieces most
 * applications start from, and every layer as a namespace.
 */

export * as client from './client/index.js';
export {
  GregorClient,
  MemoryClientStorage,
  tcpConnector,
  webSocketConnector,
} from './client/index.js';
export * from './errors.js';
export * as protocol from './protocol/index.js';
export * as pubsub from './pubsub/index.js';
export { InProcessBus, RedisBus } from './pubsub/index.js';
export * as rpc from './rpc/index.js';
export * as server from './server/index.js';
export { GregorServer, parseGregordConfig, startGregord } from './server/index.js';
export * as state from './state/index.js';
export { MemoryEngine } from './state/index.js';
export * as storage from './storage/index.js';
export { openSqlEngine } from './storage/index.js';
