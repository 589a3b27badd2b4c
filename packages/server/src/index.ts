/**
 * gregor-server as a library: the embeddable server, its storage engines and buses. Each layer is
 * also importable on its own (`gregor-server/storage`, `gregor-server/pubsub`, …; see
 * package.json "exports"). The protocol, the state rules and the client are in `gregor-client`.
 */

export * from 'gregor-client/errors';
export {
  type AuthOption,
  type CreateServerOptions,
  createServer,
  type EmbeddedServer,
  type ListenOption,
  type MintOptions,
} from './daemon/create-server.js';
export * as pubsub from './pubsub/index.js';
export { InProcessBus, RedisBus } from './pubsub/index.js';
export * as server from './server/index.js';
export { GregorServer, parseGregordConfig, startGregord } from './server/index.js';
export * as storage from './storage/index.js';
export { openSqlEngine } from './storage/index.js';
